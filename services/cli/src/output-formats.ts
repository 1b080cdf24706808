import type { Segment } from '#gen/callscribe/v1/transcript.js';
import type { StreamAudioResult } from '#client/stream-audio.js';
import { toRttmLines } from '#client/rttm.js';
import { speakerTurns } from '#client/speaker-turns.js';
import { toSrt, toVtt } from '#client/subtitles.js';

/** The files `--output-format` writes, laid out as whisperX's writers lay them out. */
export const OUTPUT_FORMATS = ['txt', 'srt', 'vtt', 'json', 'tsv', 'rttm'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One line per segment; a labelled one starts "[SPEAKER_00]: ". */
export function toTxt(segments: readonly Segment[]): string {
  return segments.map((s) => `${s.speaker === '' ? '' : `[${s.speaker}]: `}${s.text.trim()}\n`).join('');
}

/** A header, then start and end in integer milliseconds (no decimal separator for a locale to change) and the text. */
export function toTsv(segments: readonly Segment[]): string {
  const rows = segments.map(
    (s) => `${Math.round(s.startSec * 1000)}\t${Math.round(s.endSec * 1000)}\t${s.text.trim().replaceAll('\t', ' ')}\n`,
  );
  return `start\tend\ttext\n${rows.join('')}`;
}

/**
 * whisperX's JSON (segments with words, word_segments, language), with this service's final
 * result beside it under `callscribe` (timings, RTF, engine), which whisperX readers ignore.
 */
export function toWhisperxJson(result: StreamAudioResult): string {
  const word = (w: Segment['words'][number]) => ({
    word: w.text,
    start: w.startSec,
    end: w.endSec,
    score: w.confidence,
    ...(w.speaker === '' ? {} : { speaker: w.speaker }),
  });
  const segments = result.segments.map((s) => ({
    start: s.startSec,
    end: s.endSec,
    text: s.text,
    ...(s.speaker === '' ? {} : { speaker: s.speaker }),
    words: s.words.map(word),
  }));
  return `${JSON.stringify({
    segments,
    word_segments: result.segments.flatMap((s) => s.words.map(word)),
    language: result.final.language,
    callscribe: result.final,
  })}\n`;
}

/** The file body for one format; `fileId` names the recording in RTTM lines. */
export function formatOutput(format: OutputFormat, result: StreamAudioResult, fileId: string): string {
  switch (format) {
    case 'txt':
      return toTxt(result.segments);
    case 'srt':
      return toSrt(result.segments, true);
    case 'vtt':
      return toVtt(result.segments, true);
    case 'json':
      return toWhisperxJson(result);
    case 'tsv':
      return toTsv(result.segments);
    case 'rttm':
      // The diarizer's own turns when the gateway sent them; rebuilt from the words' speakers otherwise.
      return toRttmLines(
        fileId,
        result.final.speakerTurns.length > 0
          ? result.final.speakerTurns.map((t) => ({ ...t }))
          : speakerTurns(result.segments),
      );
  }
}
