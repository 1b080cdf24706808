import { judgeLevel, type StabilityRule, type Verdict, type WindowFigures } from './stability.js';

export interface SearchRule {
  /** First level: concurrency 1, or the --rate given. */
  start: number;
  /** Highest level the search may try. */
  limit: number;
  /** Concurrency is a whole number; a rate is not. */
  integer: boolean;
}

export interface LevelTried {
  value: number;
  phase: 'step' | 'bisect';
  verdict: Verdict;
  why: string;
  windows: WindowFigures[];
  throughputSpreadPct: number | undefined;
  latencySpreadPct: number | undefined;
}

export interface FindMaxResult {
  /** The highest level that met every threshold, stably; undefined when none did. */
  answer: number | undefined;
  /** The lowest level tried above it that did not (failed or unstable). */
  firstMiss: number | undefined;
  levels: LevelTried[];
  reason: string;
}

/** Measures one window at a level; `window` counts from 1 at each level. */
export type MeasureWindow = (value: number, window: number) => Promise<WindowFigures>;

// A rate is bisected until the bracket is within 10% of the level that passed: about the stability
// tolerance, so a finer answer would be inside the noise of the windows that judged it.
const RATE_PRECISION = 0.1;

const converged = (rule: SearchRule, lo: number, hi: number) =>
  rule.integer ? hi - lo <= 1 : hi - lo <= lo * RATE_PRECISION;

const midpoint = (rule: SearchRule, lo: number, hi: number) =>
  rule.integer ? Math.floor((lo + hi) / 2) : Number(((lo + hi) / 2).toPrecision(4));

/**
 * Steps up by doubling from `start` until a level misses (or `limit` passes), then bisects between
 * the last level that met every threshold and the first that did not. An unstable level counts as a
 * miss: the answer is only ever a level that was measured stable.
 */
export async function findMax(
  rule: SearchRule,
  stability: StabilityRule,
  measure: MeasureWindow,
  signal?: AbortSignal,
): Promise<FindMaxResult> {
  const levels: LevelTried[] = [];
  const tryLevel = async (value: number, phase: LevelTried['phase']): Promise<LevelTried> => {
    const windows: WindowFigures[] = [];
    for (;;) {
      windows.push(await measure(value, windows.length + 1));
      const state = judgeLevel(windows, stability);
      if (state.kind === 'done') {
        const tried: LevelTried = {
          value,
          phase,
          verdict: state.verdict,
          why: state.why,
          windows,
          throughputSpreadPct: state.throughputSpreadPct,
          latencySpreadPct: state.latencySpreadPct,
        };
        levels.push(tried);
        return tried;
      }
      if (signal?.aborted === true) {
        const tried: LevelTried = {
          value,
          phase,
          verdict: 'unstable',
          why: 'interrupted before the level settled',
          windows,
          throughputSpreadPct: undefined,
          latencySpreadPct: undefined,
        };
        levels.push(tried);
        return tried;
      }
    }
  };
  const stopped = () => signal?.aborted === true;

  let lo: number | undefined;
  let hi: number | undefined;
  for (let value = Math.min(rule.start, rule.limit); !stopped(); ) {
    const t = await tryLevel(value, 'step');
    if (t.verdict !== 'pass') {
      hi = value;
      break;
    }
    lo = value;
    if (value >= rule.limit) break;
    value = Math.min(value * 2, rule.limit);
  }
  while (lo !== undefined && hi !== undefined && !converged(rule, lo, hi) && !stopped()) {
    const mid = midpoint(rule, lo, hi);
    if (mid <= lo || mid >= hi) break;
    if ((await tryLevel(mid, 'bisect')).verdict === 'pass') lo = mid;
    else hi = mid;
  }
  const reason = stopped()
    ? 'interrupted: the answer is the best level measured so far'
    : lo === undefined
      ? `the first level (${rule.start}) did not meet every threshold stably`
      : hi === undefined
        ? `every level up to the limit (${rule.limit}) met every threshold: the maximum may be higher`
        : `${lo} met every threshold and ${hi} did not`;
  return { answer: lo, firstMiss: hi, levels, reason };
}
