import type { LevelRun, TimelinePoint } from '../results/level-run.js';
import type { Recording } from '../source/recording.js';
import { arrivalOffsetsMs, type Schedule, type StopRule } from './schedule.js';

export type Launch = (rec: Recording, intendedStartMs: number, index: number, warmup: boolean) => Promise<void>;

export interface LevelOptions {
  recordings: Recording[];
  schedule: Schedule;
  stop: StopRule;
  warmup: number;
  seed: number;
  signal: AbortSignal;
  launch: Launch;
  /** Awaited before each request is issued: the back-off after target failures lives here. */
  beforeLaunch?: (untilMs: number) => Promise<void>;
  /** True once no more requests should be issued (the abort rule). */
  stopIssuing?: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Issues requests for one load level until the stop rule says so, then waits for the ones in flight.
 * Closed loop: `concurrency` callers, each sending its next request when the last one answered.
 * Open loop: requests are due at scheduled times whatever happened before; each one's latency is
 * measured from when it was due, so queueing shows up instead of being hidden.
 */
export async function runLevel(o: LevelOptions): Promise<LevelRun> {
  const total =
    o.stop.count ?? (o.stop.durationMs === undefined ? (o.stop.passes ?? 1) * o.recordings.length : Infinity);
  const startMs = Date.now();
  const deadline = o.stop.durationMs === undefined ? Infinity : startMs + o.stop.durationMs;
  let issued = 0;
  let inFlight = 0;
  let completed = 0;
  const timeline: TimelinePoint[] = [];
  const latenessMs: number[] = [];
  const sampler = setInterval(() => timeline.push({ atMs: Date.now(), inFlight, completed }), 250);
  const claim = (): number | undefined => {
    if (o.signal.aborted || issued >= total + o.warmup || o.stopIssuing?.() === true) return undefined;
    if (issued >= o.warmup && Date.now() >= deadline) return undefined;
    return issued++;
  };
  const fire = async (index: number, intendedStartMs: number) => {
    inFlight++;
    try {
      await o.launch(o.recordings[index % o.recordings.length] as Recording, intendedStartMs, index, index < o.warmup);
    } finally {
      inFlight--;
      completed++;
    }
  };

  if (o.schedule.kind === 'closed') {
    await Promise.all(
      Array.from({ length: o.schedule.concurrency }, async () => {
        for (;;) {
          await o.beforeLaunch?.(deadline);
          const i = claim();
          if (i === undefined) break;
          await fire(i, Date.now());
        }
      }),
    );
  } else {
    const { ratePerSec, arrival, maxInFlight } = o.schedule;
    const running = new Set<Promise<void>>();
    const t0 = performance.now();
    const wall0 = Date.now();
    for (const offset of arrivalOffsetsMs(ratePerSec, arrival, o.seed)) {
      await sleep(offset - (performance.now() - t0));
      // Past the in-flight cap a request waits, and its wait counts: it is measured from `offset`.
      while (running.size >= maxInFlight) await Promise.race(running);
      await o.beforeLaunch?.(deadline);
      const index = claim();
      if (index === undefined) break;
      latenessMs.push(performance.now() - t0 - offset);
      const p = fire(index, wall0 + offset).finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
  }
  clearInterval(sampler);
  timeline.push({ atMs: Date.now(), inFlight, completed });
  return { startMs, endMs: Date.now(), issued, latenessMs, timeline };
}
