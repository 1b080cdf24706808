import type { StatsSample } from '../run/stats-sampler.js';
import type { TimelinePoint } from '../run/level-runner.js';
import type { LevelSummary } from './summary.js';
import { lineChart, type Series } from './svg-chart.js';

export interface ReportLevel {
  summary: LevelSummary;
  /** [percentile, latency ms] points of the intended-start latency histogram. */
  percentiles: Array<[number, number]>;
  timeline: TimelinePoint[];
  startMs: number;
}

const PCTS = [0, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
export const REPORT_PERCENTILES = PCTS;
// The classic HdrHistogram plot: x = 1/(1-p) on a log scale, so the tail gets the room.
const tailX = (p: number) => Math.log10(1 / (1 - Math.min(p, 99.999) / 100));
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

// Completions per second over a sliding 5 s window (timeline points are 250 ms apart): per-second
// counts of slow requests are a comb of zeros and ones.
const WINDOW_POINTS = 20;

function throughputSeries(level: ReportLevel): { rps: Series; inFlight: Series } {
  const rps: Array<[number, number]> = [];
  const tl = level.timeline;
  for (let i = 4; i < tl.length; i += 4) {
    const a = tl[Math.max(0, i - WINDOW_POINTS)] as TimelinePoint;
    const b = tl[i] as TimelinePoint;
    rps.push([(b.atMs - level.startMs) / 1000, ((b.completed - a.completed) * 1000) / Math.max(1, b.atMs - a.atMs)]);
  }
  return {
    rps: { name: `${level.summary.level} req/s`, points: rps },
    inFlight: { name: `${level.summary.level} in flight`, points: tl.map((p) => [(p.atMs - level.startMs) / 1000, p.inFlight]) },
  };
}

export function renderReport(title: string, config: unknown, levels: ReportLevel[], stats: StatsSample[], gpuNote: string): string {
  const first = levels[0]?.startMs ?? Date.now();
  const latency = lineChart({
    title: 'Latency by percentile (from intended start)',
    xLabel: 'percentile',
    yLabel: 'latency ms',
    xTicks: [0, 50, 90, 99, 99.9, 99.99].map(tailX),
    formatX: (x) => `${Number((100 - 100 / 10 ** x).toPrecision(4))}%`,
    series: levels.map((l) => ({ name: l.summary.level, points: l.percentiles.map(([p, v]) => [tailX(p), v] as [number, number]) })),
  });
  const tp = levels.map(throughputSeries);
  const throughput = lineChart({ title: 'Throughput over time (5 s window)', xLabel: 'seconds since level start', yLabel: 'completed req/s', series: tp.map((t) => t.rps) });
  const inFlight = lineChart({ title: 'Requests in flight over time', xLabel: 'seconds since level start', yLabel: 'in flight', series: tp.map((t) => t.inFlight) });
  const gpuPoints = stats.filter((s) => s.gpuUtilPct !== undefined).map((s) => [(s.atMs - first) / 1000, s.gpuUtilPct as number] as [number, number]);
  const queue: Series = { name: 'queue depth (chunks)', points: stats.map((s) => [(s.atMs - first) / 1000, s.queueDepth]) };
  const gpu =
    gpuPoints.length > 0
      ? lineChart({ title: 'GPU utilisation over time', xLabel: 'seconds since run start', yLabel: 'GPU % / queued chunks', series: [{ name: 'GPU util %', points: gpuPoints }, queue] })
      : lineChart({ title: `Transcriber queue over time (${gpuNote || 'no GPU'})`, xLabel: 'seconds since run start', yLabel: 'queued chunks', series: [queue] });
  const sweep = lineChart({
    title: 'Saturation curve: throughput vs p99 latency',
    xLabel: 'throughput (completed req/s)',
    yLabel: 'p99 latency ms',
    series: [{ name: 'levels', points: levels.map((l) => [l.summary.throughputRps, l.summary.latency.p99] as [number, number]) }],
  });
  const rows = levels
    .map(({ summary: s }) => `<tr><td>${esc(s.level)}</td><td>${esc(s.schedule)}</td><td>${s.requests}</td><td>${s.errors}${s.errorKinds ? ` (${esc(s.errorKinds)})` : ''}</td><td>${f(s.throughputRps, 2)}</td><td>${f(s.rtfx, 1)}</td><td>${f(s.latency.p50, 0)}</td><td>${f(s.latency.p90, 0)}</td><td>${f(s.latency.p99, 0)}</td><td>${f(s.latency.p999, 0)}</td><td>${f(s.latency.max, 0)}</td><td>${f(s.uncorrected.p99, 0)}</td><td>${f(s.ttfs.p50, 0)}</td><td>${f(s.rtf.p50, 3)}</td><td>${s.wer === undefined ? '-' : `${(s.wer * 100).toFixed(1)}%`}</td><td>${s.der === undefined ? '-' : `${(s.der * 100).toFixed(1)}%`}</td><td>${s.gpuUtilMean === undefined ? esc(s.gpuNote || 'no GPU') : f(s.gpuUtilMean, 0)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child,td:nth-child(2){text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>Latency is measured from each request's intended start (coordinated-omission safe); "uncorr" is from the moment it was sent. RTF = latency / audio duration; RTFx = audio seconds per wall second at that level.</p>
<table><tr><th>level</th><th>schedule</th><th>requests</th><th>errors</th><th>req/s</th><th>RTFx</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>uncorr p99</th><th>TTFS p50</th><th>RTF p50</th><th>WER</th><th>DER</th><th>GPU %</th></tr>
${rows}</table>
<div class="charts">${latency}${sweep}${throughput}${inFlight}${gpu}</div>
<h2>Run configuration</h2><pre>${esc(JSON.stringify(config, null, 2))}</pre>
</body></html>
`;
}
