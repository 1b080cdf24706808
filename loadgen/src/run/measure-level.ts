import { abortReason, type AbortRule } from '../gate/abort-rule.js';
import { MetricRecorder, METRIC_NAMES } from '../metrics/histograms.js';
import type { ProgressSink, RequestSink } from '../results/level-sinks.js';
import { summarize } from '../results/level-summary.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import type { RequestResult } from '../results/request-result.js';
import type { Recording } from '../source/recording.js';
import { FailureBackoff } from './failure-backoff.js';
import { runLevel } from './level-runner.js';
import type { TargetProtocol } from './protocols/target-protocol.js';
import { describeSchedule, type Schedule, type StopRule } from './schedule.js';
import type { StatsSampler } from './stats-sampler.js';

export interface LevelContext {
  /** How each request is sent (--protocol): gRPC, the WhisperX FastAPI upload or OpenAI's API. */
  protocol: TargetProtocol;
  pace: 'max' | 'realtime';
  recordings: Recording[];
  load(rec: Recording): Promise<Buffer>;
  stop: StopRule;
  warmup: number;
  seed: number;
  abortRule: AbortRule;
  backoffMaxMs: number;
  sampler: StatsSampler;
  /** Each request as it completes (requests.csv). */
  results: RequestSink;
  progress: ProgressSink;
  runDir: string;
  signal: AbortSignal;
}

export const CURVE_PERCENTILES = [0, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
const BACKOFF_BASE_MS = 100;

const failedRead = (
  rec: Recording,
  level: string,
  index: number,
  warmup: boolean,
  intendedStartMs: number,
  err: unknown,
): RequestResult => ({
  level,
  index,
  warmup,
  file: rec.name,
  bytes: 0,
  audioSec: undefined,
  channels: undefined,
  intendedStartMs,
  startMs: Date.now(),
  endMs: Date.now(),
  latencyMs: 0,
  uncorrectedMs: 0,
  ttfsMs: undefined,
  afterAudioMs: undefined,
  rtf: undefined,
  status: 'CLIENT_ERROR',
  error: String(err),
  final: undefined,
  segments: 0,
  wer: undefined,
  werRefWords: 0,
  der: undefined,
  derScoredSec: 0,
  gpuMean: undefined,
  gpuMax: undefined,
});

/** One load level: issues its requests, records every one, backs off and aborts when the target fails. */
export async function measureLevel(name: string, schedule: Schedule, c: LevelContext): Promise<MeasuredLevel> {
  const metrics = new MetricRecorder(c.runDir, `${name}-`);
  const results: RequestResult[] = [];
  const backoff = new FailureBackoff(BACKOFF_BASE_MS, c.backoffMaxMs);
  let failed = 0;
  let aborted: string | undefined;
  const startMs = Date.now();
  const total =
    c.stop.count ?? (c.stop.durationMs === undefined ? (c.stop.passes ?? 1) * c.recordings.length : undefined);
  const state = () => ({
    level: `${name} (${describeSchedule(schedule)})`,
    done: results.length,
    total: total === undefined ? undefined : total + c.warmup,
    durationMs: c.stop.durationMs,
    elapsedMs: Date.now() - startMs,
    errors: failed,
    p50Ms: metrics.percentile('latency', 50),
    p99Ms: metrics.percentile('latency', 99),
  });
  const run = await runLevel({
    recordings: c.recordings,
    schedule,
    stop: c.stop,
    warmup: c.warmup,
    seed: c.seed,
    signal: c.signal,
    beforeLaunch: (untilMs) => backoff.wait(c.signal, untilMs),
    stopIssuing: () => aborted !== undefined,
    launch: async (rec, intendedStartMs, index, warmup) => {
      let r: RequestResult;
      try {
        r = await c.protocol.send(rec, await c.load(rec), { intendedStartMs, level: name, index, warmup }, c.pace);
      } catch (err: unknown) {
        // A file that cannot even be read is still a row: nothing is dropped silently.
        r = failedRead(rec, name, index, warmup, intendedStartMs, err);
      }
      const gpu = c.sampler.gpuOver(r.startMs, r.endMs);
      if (gpu !== undefined) {
        r.gpuMean = gpu.mean;
        r.gpuMax = gpu.max;
      }
      backoff.record(r.status);
      if (r.status !== 'OK') failed++;
      if (!r.warmup && r.status === 'OK') {
        metrics.record('latency', r.latencyMs);
        metrics.record('latency_uncorrected', r.uncorrectedMs);
        if (r.ttfsMs !== undefined) metrics.record('ttfs', r.ttfsMs);
        if (r.afterAudioMs !== undefined) metrics.record('after_audio_ms', r.afterAudioMs);
        if (r.rtf !== undefined) metrics.record('rtf', r.rtf);
      }
      c.results.write(r);
      results.push(r);
      // Warm-up requests count here: a dead target fails those too.
      aborted ??= abortReason(c.abortRule, results.length, failed);
      c.progress.update(state());
    },
  });
  c.progress.finish(state());
  await metrics.close();
  const summary = summarize(name, describeSchedule(schedule), run, results, metrics, c.sampler.gpuNote);
  summary.aborted = aborted;
  const curves = Object.fromEntries(
    METRIC_NAMES.map((m) => [
      m,
      metrics.count(m) === 0 ? [] : CURVE_PERCENTILES.map((p) => [p, metrics.percentile(m, p)]),
    ]),
  ) as MeasuredLevel['curves'];
  const failures = results.filter((r) => r.status !== 'OK').map((r) => ({ atMs: r.endMs, status: r.status }));
  const engine = results.map((r) => r.final?.engine ?? r.answer?.engine).find((e) => e !== undefined);
  return { name, run, summary, metrics, curves, failures, engine };
}
