import type { Segment } from '#gen/callscribe/v1/transcript.js';

/** SRT and WebVTT cues, one per segment: the gateway's OpenAI formats and the CLI's files share them. */

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** 3725.5 → "01:02:05,500" (SRT) or "01:02:05.500" (WebVTT). */
export function timestamp(seconds: number, separator: ',' | '.'): string {
  const ms = Math.round(Math.max(0, seconds) * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${separator}${pad(ms % 1000, 3)}`;
}

/**
 * One "start --> end\ntext\n" per segment. With `speakers`, a labelled segment's text starts
 * "[SPEAKER_00]: " as whisperX writes it; OpenAI's formats carry no speaker, so that is off by default.
 */
export function cues(segments: readonly Segment[], separator: ',' | '.', speakers = false): string[] {
  return segments.map((s) => {
    const who = speakers && s.speaker !== '' ? `[${s.speaker}]: ` : '';
    return `${timestamp(s.startSec, separator)} --> ${timestamp(s.endSec, separator)}\n${who}${s.text.trim()}\n`;
  });
}

/** SubRip: numbered cues separated by a blank line. */
export function toSrt(segments: readonly Segment[], speakers = false): string {
  return cues(segments, ',', speakers)
    .map((cue, i) => `${i + 1}\n${cue}`)
    .join('\n');
}

/** WebVTT: the header, then the cues separated by a blank line. */
export function toVtt(segments: readonly Segment[], speakers = false): string {
  return `WEBVTT\n\n${cues(segments, '.', speakers).join('\n')}`;
}
