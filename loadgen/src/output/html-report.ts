import type { EChartsOption } from 'echarts';
import type { FindMaxResult } from '../find-max/search.js';
import type { ThresholdResult } from '../gate/thresholds.js';
import { findMaxSection } from './find-max-output.js';
import type { MeasuredLevel } from '../results/measured-level.js';
import { formatMeasure, formatPercentile, formatWer } from '../results/measure-format.js';
import type { StatsSample } from '../results/stats-sample.js';
import { renderSvg } from './report/echarts-svg.js';
import {
  errorTimelineChart,
  hiddenReason,
  inFlightChart,
  latencyChart,
  type ReportChart,
  rtfChart,
  saturationChart,
  serverChart,
  stagesChart,
  throughputChart,
  timeAxisOf,
  ttfsChart,
} from './report/report-charts.js';
import type { RunIdentity } from './run-identity.js';
import type { RunDescription } from './summary-json.js';

export interface ReportInput {
  title: string;
  run: RunDescription;
  identity: RunIdentity;
  levels: MeasuredLevel[];
  stats: StatsSample[];
  gpuNote: string;
  thresholds: ThresholdResult[];
  findMax?: FindMaxResult | undefined;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

/** The charts in page order; their ids are what the browser test looks for. */
export const REPORT_CHARTS = [
  'latency',
  'rtf',
  'ttfs',
  'stages',
  'saturation',
  'throughput',
  'in-flight',
  'errors',
  'server',
] as const;

function charts(r: ReportInput): Array<[(typeof REPORT_CHARTS)[number], ReportChart]> {
  const axis = timeAxisOf(r.levels, r.stats);
  return [
    ['latency', latencyChart(r.levels)],
    ['rtf', rtfChart(r.levels)],
    ['ttfs', ttfsChart(r.levels, r.run.protocol)],
    ['stages', stagesChart(r.levels, r.run.protocol)],
    ['saturation', saturationChart(r.levels)],
    ['throughput', throughputChart(axis, r.levels)],
    ['in-flight', inFlightChart(axis, r.levels)],
    ['errors', errorTimelineChart(axis, r.levels)],
    ['server', serverChart(axis, r.levels, r.stats, r.gpuNote, r.run.protocol)],
  ];
}

function header(r: ReportInput): string {
  const e = r.identity.engine;
  const m = r.identity.machine;
  const engine =
    e === undefined
      ? r.run.protocol === 'grpc'
        ? 'unknown (no request succeeded)'
        : `not reported (--protocol ${r.run.protocol} names no engine in its answers, or no request succeeded)`
      : `${e.backend} · model ${e.model || '-'} · device ${e.device || '-'} · compute ${e.computeType || '-'} · batch size ${e.batchSize}`;
  const rows: Array<[string, string]> = [
    ['engine', engine],
    ['load', r.run.sweep],
    ['target', `${r.run.target} (--protocol ${r.run.protocol})`],
    ...(r.run.costPerHourUsd === undefined
      ? []
      : ([['machine cost', `${r.run.costPerHourUsd} USD per hour (--cost-per-hour)`]] as Array<[string, string]>)),
    ['source', r.run.source],
    ['started', `${r.run.startedAt} (finished ${r.run.finishedAt})`],
    [
      'loadgen machine',
      `${m.hostname}: ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.platform} ${m.release}`,
    ],
    [
      'versions',
      Object.entries(r.identity.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · '),
    ],
    ['exit code', String(r.run.exitCode)],
  ];
  return `<table class="meta">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function warnings(r: ReportInput): string {
  const items = [
    ...(r.run.aborted === undefined ? [] : [`The run was stopped by the abort rule at ${r.run.aborted}.`]),
    ...r.levels.flatMap((l) =>
      l.summary.lowSampleNote === undefined ? [] : [`${l.name}: ${l.summary.lowSampleNote}.`],
    ),
  ];
  return items.length === 0 ? '' : `<ul class="warn">${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
}

function thresholdTable(results: ThresholdResult[]): string {
  if (results.length === 0) return '<p>No thresholds were set (<code>--threshold</code>).</p>';
  const rows = results.map(
    (t) =>
      `<tr class="${t.passed ? 'pass' : 'fail'}"><td>${t.passed ? 'pass' : 'FAIL'}</td><td>${esc(t.level)}</td><td>${esc(t.expression)}</td><td>${t.actual === undefined ? 'no data' : esc(formatMeasure(t.metric, t.actual))}</td></tr>`,
  );
  return `<table><tr><th>result</th><th>level</th><th>threshold</th><th>measured</th></tr>${rows.join('')}</table>`;
}

function levelTable(levels: MeasuredLevel[]): string {
  const cost = levels.some((l) => l.summary.costPerAudioHourUsd !== undefined);
  const rows = levels.map(({ summary: s }) => {
    const ok = s.requests - s.errors;
    const cells = [
      esc(s.level),
      esc(s.schedule),
      String(s.requests),
      `${s.errors}${s.errorKinds ? ` (${esc(s.errorKinds)})` : ''}`,
      f(s.throughputRps, 2),
      f(s.rtfx, 1),
      ...(cost ? [formatMeasure('cost', s.costPerAudioHourUsd)] : []),
      formatMeasure('latency', s.latency.p50),
      formatPercentile('latency', 90, s.latency.p90, ok),
      formatPercentile('latency', 99, s.latency.p99, ok),
      formatPercentile('latency', 99.9, s.latency.p999, ok),
      formatMeasure('latency', s.latency.max),
      formatPercentile('latency_uncorrected', 99, s.uncorrected.p99, ok),
      formatMeasure('ttfs', s.ttfs.p50),
      formatPercentile('ttfs', 99, s.ttfs.p99, ok),
      formatMeasure('rtf', s.rtf.p50),
      formatPercentile('rtf', 99, s.rtf.p99, ok),
      esc(formatWer(s.wer, s.werRecordings)),
      pct(s.der),
      s.gpuUtilMean === undefined ? esc(s.gpuNote || 'no GPU') : f(s.gpuUtilMean, 0),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const heads = [
    'level',
    'schedule',
    'requests',
    'errors',
    'req/s',
    'RTFx',
    ...(cost ? ['USD per audio hour'] : []),
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'uncorr p99',
    'TTFS p50',
    'TTFS p99',
    'RTF p50',
    'RTF p99',
    'WER',
    'DER',
    'GPU %',
  ];
  return `<table><tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.join('\n')}</table>`;
}

function figure([id, chart]: [string, ReportChart]): string {
  const hidden = hiddenReason(chart);
  return hidden === undefined
    ? `<figure data-chart="${id}">${renderSvg(chart as EChartsOption)}</figure>`
    : `<figure data-chart="${id}" class="hidden-chart"><p>${esc(hidden)}</p></figure>`;
}

/** One self-contained HTML file: tables and server-rendered SVG charts, no script, no external asset. */
export function renderReport(r: ReportInput): string {
  const figures = charts(r).map(figure).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px;margin-bottom:12px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child,td:nth-child(2){text-align:left}.meta td,.meta th{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}.warn{background:#fff6e0;border:1px solid #e8c060;padding:8px 8px 8px 28px}tr.fail td{background:#fde8e8}tr.pass td:first-child{color:#176a17}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}.hidden-chart{width:420px;color:#666;font-size:13px;border:1px dashed #ccc;padding:8px}summary{cursor:pointer;font-weight:bold;margin:12px 0}</style>
</head><body>
<h1>${esc(r.title)}</h1>
${header(r)}
${warnings(r)}
<p>Latency is measured from each request's intended start (coordinated-omission safe); "uncorr" is from the moment it was sent. RTF = latency / audio duration; RTFx = audio seconds per wall second at that level. WER after Whisper-style English normalisation; DER with a 0.25 s collar each side.</p>
${findMaxSection(r.findMax)}
<h2>Levels</h2>
${levelTable(r.levels)}
<h2>Thresholds</h2>
${thresholdTable(r.thresholds)}
<h2>Charts</h2>
<div class="charts">
${figures}
</div>
<details><summary>Run configuration</summary><pre>${esc(JSON.stringify(r.run.config, null, 2))}</pre></details>
</body></html>
`;
}
