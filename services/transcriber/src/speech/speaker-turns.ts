import type { SpeakerTurn } from '#gen/callscribe/v1/diarization.js';

// A pause shorter than this inside one speaker's talk is still their turn (pyannote calls it
// min_duration_off); the sentence pauses of the VAD would otherwise fragment every turn.
const BRIDGE_GAP_SEC = 1.0;

/**
 * Sorts turns and joins a speaker's consecutive turns across a short pause, unless another speaker
 * starts talking inside that pause.
 */
export function bridgeTurns(turns: SpeakerTurn[], maxGapSec = BRIDGE_GAP_SEC): SpeakerTurn[] {
  const sorted = [...turns].sort((a, b) => a.startSec - b.startSec);
  const out: SpeakerTurn[] = [];
  const lastOf = new Map<string, SpeakerTurn>();
  for (const turn of sorted) {
    const last = lastOf.get(turn.speaker);
    const gap = last === undefined ? Infinity : turn.startSec - last.endSec;
    const interrupted =
      last !== undefined &&
      sorted.some((o) => o.speaker !== turn.speaker && o.startSec > last.endSec && o.startSec < turn.startSec);
    if (last !== undefined && gap < maxGapSec && !interrupted) {
      last.endSec = Math.max(last.endSec, turn.endSec);
      continue;
    }
    const copy = { ...turn };
    out.push(copy);
    lastOf.set(turn.speaker, copy);
  }
  return out;
}
