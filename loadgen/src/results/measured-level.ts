import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { MetricName, MetricRecorder } from '../metrics/histograms.js';
import type { LevelRun } from './level-run.js';
import type { LevelSummary } from './level-summary.js';

/** Everything one load level produced: what the gate judges and every output file is written from. */
export interface MeasuredLevel {
  name: string;
  run: LevelRun;
  summary: LevelSummary;
  metrics: MetricRecorder;
  /** [percentile, value] curves per metric, for the report. */
  curves: Record<MetricName, Array<[number, number]>>;
  /** When each failed request ended and how, for the error timeline. */
  failures: Array<{ atMs: number; status: string }>;
  /** What the server said it ran, from the first successful request. */
  engine: EngineInfo | undefined;
}
