import type { RunConfig } from '../config.js';
import { EXIT } from '../gate/exit-codes.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import { findMax, type FindMaxResult } from './search.js';
import { windowFigures } from './window-figures.js';

const unit = (c: RunConfig) => (c.rate > 0 ? 'rate' : 'concurrency');
const levelName = (c: RunConfig, value: number) => (c.rate > 0 ? `rate${value}` : `c${value}`);

/** --find-max on a running load test: each window is one level run, named c4-w2 (or rate2-w2). */
export async function searchMaxLevel(
  c: RunConfig,
  measureAt: (name: string, value: number) => Promise<MeasuredLevel>,
  log: (m: string) => void,
  signal: AbortSignal,
): Promise<FindMaxResult> {
  const result = await findMax(
    { start: c.rate > 0 ? c.rate : 1, limit: c.findMaxLimit, integer: c.rate === 0 },
    { stabilityPercent: c.stabilityPercent, windows: 3, maxWindows: c.maxWindows },
    async (value, window) => {
      const m = await measureAt(`${levelName(c, value)}-w${window}`, value);
      return windowFigures(m, m.summary.thresholds);
    },
    signal,
  );
  for (const l of result.levels) log(`find-max: ${unit(c)} ${l.value}: ${l.verdict} (${l.why})`);
  log(`find-max: ${formatAnswer(c, result)}`);
  return result;
}

export const formatAnswer = (c: RunConfig, r: FindMaxResult): string =>
  r.answer === undefined
    ? `no ${unit(c)} met ${thresholdList(c)}: ${r.reason}`
    : `highest ${unit(c)} meeting ${thresholdList(c)}: ${r.answer}${c.rate > 0 ? '/s' : ''} (${r.reason})`;

const thresholdList = (c: RunConfig) => [...c.findMax, ...c.thresholds].map((t) => t.expression).join(', ');

export const describeSearch = (c: RunConfig, r: FindMaxResult): string =>
  `find-max: ${c.rate > 0 ? `open loop, ${c.arrival} arrivals` : 'closed loop'}, ${unit(c)} searched ${r.levels.map((l) => l.value).join(' → ')}; ${formatAnswer(c, r)}`;

/**
 * A search fails levels on purpose (errors and missed thresholds above the answer are how it finds
 * it): its exit code says only whether a level met the target. Errors the user minds are a threshold.
 */
export const findMaxExitCode = (r: FindMaxResult): number => (r.answer === undefined ? EXIT.thresholdsFailed : EXIT.ok);
