import type { Segment } from '#gen/callscribe/v1/transcript.js';
import type { Turn } from './rttm.js';

/**
 * A pause this long ends a turn even when the same speaker goes on: a turn is time the speaker is
 * talking, and a segment's bounds often take in the silence between two sentences.
 */
export const TURN_GAP_SEC = 0.5;

/**
 * Who spoke when, from a labelled transcript, for a result that does not carry the diarizer's own
 * turns (`FinalResult.speaker_turns`, sent by gateways since it was added): consecutive words of one
 * speaker, split at pauses over TURN_GAP_SEC. A segment without words (an engine that gives none)
 * counts as one piece with its own bounds.
 */
export function speakerTurns(segments: readonly Segment[]): Turn[] {
  const pieces = segments.flatMap((s) =>
    s.words.length > 0
      ? s.words.map((w) => ({ startSec: w.startSec, endSec: w.endSec, speaker: w.speaker || s.speaker }))
      : [{ startSec: s.startSec, endSec: s.endSec, speaker: s.speaker }],
  );
  // Each speaker on their own: RTTM allows overlap, and two channels can talk at once.
  const turns: Turn[] = [];
  const open = new Map<string, Turn>();
  for (const p of pieces.filter((x) => x.speaker !== '').sort((a, b) => a.startSec - b.startSec)) {
    const turn = open.get(p.speaker);
    if (turn !== undefined && p.startSec - turn.endSec <= TURN_GAP_SEC) turn.endSec = Math.max(turn.endSec, p.endSec);
    else {
      const next = { ...p };
      turns.push(next);
      open.set(p.speaker, next);
    }
  }
  return turns;
}
