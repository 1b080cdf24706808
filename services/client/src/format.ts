import type { FinalResult, Segment } from '#gen/callscribe/v1/transcript.js';

export function clock(sec: number): string {
  const m = Math.floor(sec / 60);
  const s = sec - m * 60;
  return `${String(m).padStart(2, '0')}:${s.toFixed(2).padStart(5, '0')}`;
}

export function formatSegment(s: Segment): string {
  const who = s.speaker === '' ? '' : ` ${s.speaker}:`;
  return `[${clock(s.startSec)} - ${clock(s.endSec)}]${who} ${s.text}`;
}

export function formatFinal(f: FinalResult): string {
  const t = f.timings;
  const ms = (n: number | undefined) => (n ?? 0).toFixed(1);
  const e = f.engine;
  return [
    `audio ${f.audioDurationSec.toFixed(2)} s (${f.sourceFormat}, ${f.sourceSampleRateHz} Hz, ${f.channels} ch) · speech sent to the engine ${f.speechSec.toFixed(2)} s in ${f.chunkCount} chunk(s)`,
    `timings ms: decode ${ms(t?.decodeMs)} · vad ${ms(t?.vadMs)} · queue ${ms(t?.queueMs)} · asr ${ms(t?.asrMs)} · total ${ms(t?.totalMs)} · RTF ${f.rtf.toFixed(3)} (${f.rtf > 0 ? (1 / f.rtf).toFixed(1) : '-'}x real time)`,
    `engine: ${e?.backend} ${e?.model} on ${e?.device} (${e?.computeType}), batch ${e?.batchSize}`,
    ...(f.speakers.length > 0
      ? [
          `speakers (${f.diarizationBackend}): ${f.speakers.join(', ')} · diarize ${ms(t?.diarizeMs)} ms beside ASR · assign ${ms(t?.assignMs)} ms`,
        ]
      : []),
  ].join('\n');
}
