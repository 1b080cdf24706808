import { levelMeasures } from '../gate/level-measures.js';
import type { ThresholdResult } from '../gate/thresholds.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import type { WindowFigures } from './stability.js';

/** A measured window as the search sees it: throughput and mean latency for stability, the gate's verdict. */
export function windowFigures(m: MeasuredLevel, thresholds: ThresholdResult[]): WindowFigures {
  const mean = levelMeasures(m).distribution('latency', 'mean');
  return {
    name: m.name,
    throughputRps: m.summary.throughputRps,
    latencyMeanMs: mean === undefined || !Number.isFinite(mean) ? undefined : mean,
    thresholdsPassed: thresholds.every((t) => t.passed),
    aborted: m.summary.aborted !== undefined,
  };
}
