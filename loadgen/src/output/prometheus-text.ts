import type { MeasuredLevel } from '../results/measured-level.js';
import type { RunIdentity } from './run-identity.js';

/**
 * The per-level results in the Prometheus text exposition format (0.0.4), which both a
 * Pushgateway and node_exporter's textfile collector read. Gauges, labelled by run and level;
 * latency quantiles carry a `quantile` label like a summary's would.
 */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;

const QUANTILES: Array<[string, number]> = [
  ['0.5', 50],
  ['0.9', 90],
  ['0.99', 99],
  ['0.999', 99.9],
  ['1', 100],
];

export function prometheusText(runId: string, identity: RunIdentity, levels: MeasuredLevel[]): string {
  const families = new Map<string, { help: string; samples: string[] }>();
  const add = (name: string, help: string, l: Record<string, string>, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    const f = families.get(name) ?? { help, samples: [] };
    f.samples.push(`${name}${labels(l)} ${value}`);
    families.set(name, f);
  };
  const engine = identity.engine;
  add(
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
    add('callscribe_loadgen_requests', 'measured requests in the level', l, s.requests);
    add('callscribe_loadgen_errors', 'failed measured requests in the level', l, s.errors);
    add('callscribe_loadgen_throughput_rps', 'successful requests per second', l, s.throughputRps);
    add('callscribe_loadgen_rtfx', 'audio seconds transcribed per wall second', l, s.rtfx);
    for (const [q, p] of QUANTILES) {
      add(
        'callscribe_loadgen_latency_seconds',
        'latency from the intended start (coordinated-omission safe)',
        { ...l, quantile: q },
        metrics.percentile('latency', p) / 1000,
      );
      add(
        'callscribe_loadgen_latency_uncorrected_seconds',
        'latency from the actual send',
        { ...l, quantile: q },
        metrics.percentile('latency_uncorrected', p) / 1000,
      );
      add(
        'callscribe_loadgen_ttfs_seconds',
        'time to the first segment',
        { ...l, quantile: q },
        metrics.percentile('ttfs', p) / 1000,
      );
      add(
        'callscribe_loadgen_rtf',
        'real-time factor: latency / audio duration',
        { ...l, quantile: q },
        metrics.percentile('rtf', p),
      );
    }
    for (const [stage, ms] of Object.entries(s.stagesMs ?? {}))
      add('callscribe_loadgen_server_stage_seconds', 'mean server time per stage', { ...l, stage }, ms / 1000);
    add('callscribe_loadgen_wer', 'word error rate, weighted by reference words', l, s.wer);
    add('callscribe_loadgen_der', 'diarization error rate, weighted by scored seconds', l, s.der);
    add(
      'callscribe_loadgen_gpu_utilization_ratio',
      'mean GPU utilisation during requests',
      l,
      s.gpuUtilMean === undefined ? undefined : s.gpuUtilMean / 100,
    );
    for (const t of s.thresholds)
      add(
        'callscribe_loadgen_threshold_passed',
        '1 when the threshold passed at this level',
        { ...l, threshold: t.expression },
        t.passed ? 1 : 0,
      );
  }
  return [...families]
    .map(([name, f]) => `# HELP ${name} ${f.help}\n# TYPE ${name} gauge\n${f.samples.join('\n')}\n`)
    .join('');
}

/** PUTs the text to a Pushgateway under job callscribe_loadgen and this run's id. */
export async function pushMetrics(url: string, runId: string, text: string, timeoutMs = 10_000): Promise<void> {
  const target = `${url.replace(/\/+$/, '')}/metrics/job/callscribe_loadgen/run_id/${encodeURIComponent(runId)}`;
  const res = await fetch(target, {
    method: 'PUT',
    body: text,
    headers: { 'content-type': 'text/plain; version=0.0.4' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok)
    throw new Error(
      `pushgateway ${target} answered ${res.status} ${res.statusText}: ${(await res.text()).slice(0, 200)}`,
    );
}
