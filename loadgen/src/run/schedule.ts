export type Schedule =
  | { kind: 'closed'; concurrency: number }
  | { kind: 'open'; ratePerSec: number; arrival: 'poisson' | 'constant'; maxInFlight: number };

export interface StopRule {
  count?: number;
  durationMs?: number;
  passes?: number;
}

/** Deterministic uniform numbers in [0, 1) (mulberry32), so a Poisson schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets in ms from the start at which open-loop requests are due. */
export function* arrivalOffsetsMs(
  ratePerSec: number,
  arrival: 'poisson' | 'constant',
  seed: number,
): Generator<number> {
  const random = seededRandom(seed);
  let t = 0;
  for (let i = 0; ; i++) {
    if (arrival === 'constant') yield (i * 1000) / ratePerSec;
    else {
      yield t;
      t += (-Math.log(1 - random()) * 1000) / ratePerSec;
    }
  }
}

export const describeSchedule = (s: Schedule): string =>
  s.kind === 'closed' ? `concurrency ${s.concurrency}` : `${s.arrival} arrivals at ${s.ratePerSec}/s`;
