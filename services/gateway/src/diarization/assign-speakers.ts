import type { SpeakerTurn } from '#gen/callscribe/v1/diarization.js';
import type { Segment, Word } from '#gen/callscribe/v1/transcript.js';

// A word outside every turn (a VAD edge) takes the nearest turn within this distance.
const NEAREST_TURN_SEC = 1.0;

function speakerFor(startSec: number, endSec: number, turns: SpeakerTurn[]): string {
  const overlap = new Map<string, number>();
  let nearest: { speaker: string; distance: number } | undefined;
  for (const t of turns) {
    const o = Math.min(endSec, t.endSec) - Math.max(startSec, t.startSec);
    if (o > 0) overlap.set(t.speaker, (overlap.get(t.speaker) ?? 0) + o);
    const distance = Math.max(t.startSec - endSec, startSec - t.endSec, 0);
    if (nearest === undefined || distance < nearest.distance) nearest = { speaker: t.speaker, distance };
  }
  let best = '';
  let bestOverlap = 0;
  for (const [speaker, o] of overlap) {
    if (o > bestOverlap) {
      best = speaker;
      bestOverlap = o;
    }
  }
  if (best !== '') return best;
  return nearest !== undefined && nearest.distance <= NEAREST_TURN_SEC ? nearest.speaker : '';
}

/**
 * Gives every word the speaker whose turns overlap it most (WhisperX's assign step) and splits a
 * segment wherever the speaker changes; a segment without words takes its own best speaker.
 */
export function assignSpeakers(segments: Segment[], turns: SpeakerTurn[]): Segment[] {
  const out: Segment[] = [];
  for (const segment of segments) {
    if (segment.words.length === 0) {
      out.push({ ...segment, speaker: speakerFor(segment.startSec, segment.endSec, turns) });
      continue;
    }
    let run: Word[] = [];
    const flush = () => {
      const first = run[0];
      const last = run[run.length - 1];
      if (first === undefined || last === undefined) return;
      out.push({
        ...segment,
        startSec: first.startSec,
        endSec: last.endSec,
        text: run.map((w) => w.text).join(' '),
        words: run,
        speaker: first.speaker,
      });
      run = [];
    };
    for (const word of segment.words) {
      const speaker = speakerFor(word.startSec, word.endSec, turns) || (run[run.length - 1]?.speaker ?? '');
      if (run.length > 0 && run[0]?.speaker !== speaker) flush();
      run.push({ ...word, speaker });
    }
    flush();
  }
  return out.sort((a, b) => a.startSec - b.startSec);
}
