/** What one measurement window at a level showed: the figures stability is judged on, and the gate. */
export interface WindowFigures {
  /** The window's level name, e.g. c4-w2. */
  name: string;
  throughputRps: number;
  /** undefined when no request in the window succeeded. */
  latencyMeanMs: number | undefined;
  /** Every threshold held in this window. */
  thresholdsPassed: boolean;
  /** The abort rule stopped the window (most of its requests failed). */
  aborted: boolean;
}

export interface StabilityRule {
  /** Allowed max/min spread, in percent, of throughput and of mean latency over the last `windows`. */
  stabilityPercent: number;
  /** How many successive windows must agree (perf_analyzer: 3). */
  windows: number;
  /** Windows at one level before it is called unstable (perf_analyzer's --max-trials: 10). */
  maxWindows: number;
}

export type Verdict = 'pass' | 'fail' | 'unstable';

export type LevelState =
  | { kind: 'measuring' }
  | { kind: 'done'; verdict: Verdict; why: string; throughputSpreadPct?: number; latencySpreadPct?: number };

/** (max/min - 1) in percent: perf_analyzer's measure; equal zeros agree, a zero beside a non-zero never does. */
export function spreadPercent(values: number[]): number {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return 0;
  return min <= 0 ? Infinity : (max / min - 1) * 100;
}

const latencies = (ws: WindowFigures[]) => ws.map((w) => w.latencyMeanMs ?? 0);

/**
 * After each window: keep measuring, or the level's verdict. A level counts only when its last
 * `windows` windows agree within `stabilityPercent` on both throughput and mean latency; it then
 * passes when every threshold held in each of them. A window the abort rule stopped fails the level
 * at once (an overloaded level need not be watched until it settles).
 */
export function judgeLevel(windows: WindowFigures[], rule: StabilityRule): LevelState {
  const last = windows.at(-1);
  if (last === undefined) return { kind: 'measuring' };
  if (last.aborted) return { kind: 'done', verdict: 'fail', why: `${last.name} was stopped by the abort rule` };
  if (windows.length >= rule.windows) {
    const recent = windows.slice(-rule.windows);
    const throughputSpreadPct = spreadPercent(recent.map((w) => w.throughputRps));
    const latencySpreadPct = spreadPercent(latencies(recent));
    if (throughputSpreadPct <= rule.stabilityPercent && latencySpreadPct <= rule.stabilityPercent) {
      const failed = recent.filter((w) => !w.thresholdsPassed).map((w) => w.name);
      return {
        kind: 'done',
        verdict: failed.length === 0 ? 'pass' : 'fail',
        why:
          failed.length === 0
            ? `stable over ${rule.windows} windows and every threshold held in each`
            : `stable over ${rule.windows} windows; thresholds failed in ${failed.join(', ')}`,
        throughputSpreadPct,
        latencySpreadPct,
      };
    }
  }
  if (windows.length >= rule.maxWindows)
    return {
      kind: 'done',
      verdict: 'unstable',
      why: `no ${rule.windows} successive windows agreed within ${rule.stabilityPercent}% in ${rule.maxWindows} windows`,
    };
  return { kind: 'measuring' };
}
