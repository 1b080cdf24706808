import { Gauge, Pushgateway, Registry, Summary } from 'prom-client';
import type { MetricName } from '../metrics/histograms.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import type { RunIdentity } from './run-identity.js';

type LevelLabel = 'run_id' | 'level';
type RecordedValues = Awaited<ReturnType<Summary<LevelLabel | 'quantile'>['get']>>['values'];

/**
 * A summary whose quantiles were already computed, by the level's HdrHistogram: prom-client's own
 * Summary would estimate them again from observations, and they must equal summary.json's.
 */
class RecordedSummary extends Summary<LevelLabel | 'quantile'> {
  private readonly recorded: RecordedValues = [];

  constructor(
    private readonly metricName: string,
    help: string,
    registry: Registry,
  ) {
    super({ name: metricName, help, labelNames: ['run_id', 'level'], registers: [registry] });
  }

  record(labels: Record<LevelLabel, string>, quantiles: Array<[string, number]>, count: number, sum: number): void {
    for (const [quantile, value] of quantiles) this.recorded.push({ labels: { ...labels, quantile }, value });
    this.recorded.push({ metricName: `${this.metricName}_sum`, labels, value: sum });
    this.recorded.push({ metricName: `${this.metricName}_count`, labels, value: count });
  }

  override async get() {
    return { ...(await super.get()), values: this.recorded };
  }
}

const QUANTILES: Array<[string, number]> = [
  ['0.5', 50],
  ['0.9', 90],
  ['0.99', 99],
  ['0.999', 99.9],
  ['1', 100],
];

const DISTRIBUTIONS: Array<{ name: string; help: string; metric: MetricName; scale: number }> = [
  {
    name: 'callscribe_loadgen_latency_seconds',
    help: 'latency from the intended start (coordinated-omission safe)',
    metric: 'latency',
    scale: 1 / 1000,
  },
  {
    name: 'callscribe_loadgen_latency_uncorrected_seconds',
    help: 'latency from the actual send',
    metric: 'latency_uncorrected',
    scale: 1 / 1000,
  },
  { name: 'callscribe_loadgen_ttfs_seconds', help: 'time to the first segment', metric: 'ttfs', scale: 1 / 1000 },
  { name: 'callscribe_loadgen_rtf', help: 'real-time factor: latency / audio duration', metric: 'rtf', scale: 1 },
];

/**
 * The per-level results as Prometheus metrics, in a registry of their own so that nothing else in
 * the process goes out with them. Gauges labelled by run and level; the latency, TTFS and RTF
 * distributions are summaries (quantiles, _sum, _count of the successful requests). A series with no
 * value (no WER without references, no GPU) is left out rather than written as NaN.
 */
export function prometheusRegistry(runId: string, identity: RunIdentity, levels: MeasuredLevel[]): Registry {
  const registry = new Registry();
  const gauges = new Map<string, Gauge>();
  const set = (name: string, help: string, labels: Record<string, string>, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    let gauge = gauges.get(name);
    if (gauge === undefined) {
      gauge = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [registry] });
      gauges.set(name, gauge);
    }
    gauge.set(labels, value);
  };
  const summaries = new Map<string, RecordedSummary>();
  const summary = (name: string, help: string) => {
    let s = summaries.get(name);
    if (s === undefined) {
      s = new RecordedSummary(name, help, registry);
      summaries.set(name, s);
    }
    return s;
  };

  const engine = identity.engine;
  set(
    'callscribe_loadgen_info',
    'the run: engine and loadgen version',
    {
      run_id: runId,
      backend: engine?.backend ?? '',
      model: engine?.model ?? '',
      device: engine?.device ?? '',
      compute_type: engine?.computeType ?? '',
      batch_size: String(engine?.batchSize ?? ''),
      version: identity.versions['loadgen'] ?? '',
    },
    1,
  );
  for (const { name, summary: s, metrics } of levels) {
    const l = { run_id: runId, level: name };
    set('callscribe_loadgen_requests', 'measured requests in the level', l, s.requests);
    set('callscribe_loadgen_errors', 'failed measured requests in the level', l, s.errors);
    set('callscribe_loadgen_throughput_rps', 'successful requests per second', l, s.throughputRps);
    set('callscribe_loadgen_rtfx', 'audio seconds transcribed per wall second', l, s.rtfx);
    set(
      'callscribe_loadgen_cost_per_audio_hour_usd',
      'machine cost (--cost-per-hour) per audio hour transcribed at this level',
      l,
      s.costPerAudioHourUsd,
    );
    for (const d of DISTRIBUTIONS) {
      const count = metrics.count(d.metric);
      if (count === 0) continue;
      summary(d.name, d.help).record(
        l,
        QUANTILES.map(([q, p]) => [q, metrics.percentile(d.metric, p) * d.scale]),
        count,
        metrics.mean(d.metric) * count * d.scale,
      );
    }
    for (const [stage, ms] of Object.entries(s.stagesMs ?? {}))
      set('callscribe_loadgen_server_stage_seconds', 'mean server time per stage', { ...l, stage }, ms / 1000);
    set('callscribe_loadgen_wer', 'word error rate, weighted by reference words', l, s.wer);
    set('callscribe_loadgen_der', 'diarization error rate, weighted by scored seconds', l, s.der);
    set(
      'callscribe_loadgen_gpu_utilization_ratio',
      'mean GPU utilisation during requests',
      l,
      s.gpuUtilMean === undefined ? undefined : s.gpuUtilMean / 100,
    );
    for (const t of s.thresholds)
      set(
        'callscribe_loadgen_threshold_passed',
        '1 when the threshold passed at this level',
        { ...l, threshold: t.expression },
        t.passed ? 1 : 0,
      );
  }
  return registry;
}

/** PUTs the registry to a Pushgateway under job callscribe_loadgen and this run's id. */
export async function pushMetrics(url: string, runId: string, registry: Registry, timeoutMs = 10_000): Promise<void> {
  const gateway = new Pushgateway(
    url.replace(/\/+$/, ''),
    { timeout: timeoutMs, headers: { 'Content-Type': registry.contentType } },
    registry,
  );
  try {
    await gateway.push({ jobName: 'callscribe_loadgen', groupings: { run_id: runId } });
  } catch (err: unknown) {
    throw new Error(`pushgateway ${url}: ${(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
  }
}
