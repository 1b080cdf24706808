import type { Turn } from '#client/rttm.js';
import { maxWeightAssignment } from './hungarian.js';

export interface DerResult {
  der: number;
  missSec: number;
  falseAlarmSec: number;
  confusionSec: number;
  scoredSec: number;
}

const STEP = 0.01;

function speakersAt(turns: Turn[], frames: number): Array<Set<string>> {
  const out = Array.from({ length: frames }, () => new Set<string>());
  for (const t of turns)
    for (let i = Math.max(0, Math.round(t.startSec / STEP)); i < Math.min(frames, Math.round(t.endSec / STEP)); i++)
      out[i]?.add(t.speaker);
  return out;
}

/**
 * Diarization error rate as NIST md-eval scores it: (missed + false alarm + speaker confusion) /
 * reference speech, on 10 ms frames, with `collarSec` around every reference boundary not scored,
 * under the one-to-one speaker mapping that maximises agreement (Hungarian algorithm, as
 * pyannote.metrics). md-eval's collar is per side: 0.25 here is pyannote's `collar=0.5`.
 */
export function diarizationErrorRate(reference: Turn[], hypothesis: Turn[], collarSec = 0.25): DerResult {
  const end = Math.max(0, ...reference.map((t) => t.endSec), ...hypothesis.map((t) => t.endSec));
  const frames = Math.ceil(end / STEP) + 1;
  const ref = speakersAt(reference, frames);
  const hyp = speakersAt(hypothesis, frames);
  const scored = new Array<boolean>(frames).fill(true);
  const collar = Math.round(collarSec / STEP);
  for (const t of reference) {
    for (const edge of [Math.round(t.startSec / STEP), Math.round(t.endSec / STEP)]) {
      for (let i = Math.max(0, edge - collar); i < Math.min(frames, edge + collar); i++) scored[i] = false;
    }
  }
  const refSpeakers = [...new Set(reference.map((t) => t.speaker))];
  const hypSpeakers = [...new Set(hypothesis.map((t) => t.speaker))];
  const overlap = new Map<string, number>();
  for (let i = 0; i < frames; i++) {
    if (!scored[i]) continue;
    for (const r of ref[i] as Set<string>)
      for (const h of hyp[i] as Set<string>) overlap.set(`${r}\u0000${h}`, (overlap.get(`${r}\u0000${h}`) ?? 0) + 1);
  }
  // Best one-to-one mapping hypothesis → reference, for any number of speakers.
  const weights = hypSpeakers.map((h) => refSpeakers.map((r) => overlap.get(`${r}\u0000${h}`) ?? 0));
  const mapping = new Map<string, string>();
  maxWeightAssignment(weights).forEach((j, i) => {
    if (j >= 0) mapping.set(hypSpeakers[i] as string, refSpeakers[j] as string);
  });
  let miss = 0;
  let fa = 0;
  let confusion = 0;
  let total = 0;
  for (let i = 0; i < frames; i++) {
    if (!scored[i]) continue;
    const r = ref[i] as Set<string>;
    const h = hyp[i] as Set<string>;
    total += r.size;
    miss += Math.max(0, r.size - h.size);
    fa += Math.max(0, h.size - r.size);
    let correct = 0;
    for (const x of h) if (r.has(mapping.get(x) ?? '')) correct++;
    confusion += Math.min(r.size, h.size) - correct;
  }
  const sec = (n: number) => n * STEP;
  return {
    der: total === 0 ? 0 : (miss + fa + confusion) / total,
    missSec: sec(miss),
    falseAlarmSec: sec(fa),
    confusionSec: sec(confusion),
    scoredSec: sec(total),
  };
}
