import { redactText } from '#common/redact.js';
import { renderSvg } from '../output/report/echarts-svg.js';
import { latencyChart } from '../output/report/report-charts.js';
import { COMPARED, type ArmFigures } from './arm-figures.js';
import type { CompareResult } from './run-compare.js';

export interface CompareRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  source: string;
  config: unknown;
}

const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const ARM = ['A', 'B'] as const;

const figuresDoc = (f: ArmFigures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, finite(v)]));

/** summary.json of a compare run: both arms (pooled, per round, spread) and their ratios B/A. */
export function compareDoc(run: CompareRun, r: CompareResult): unknown {
  return {
    schema: 'callscribe-loadgen-compare/1',
    ...run,
    compare: { key: r.spec.key, a: r.spec.labels[0], b: r.spec.labels[1] },
    rounds: r.order.length,
    order: r.order,
    aborted: r.aborted ?? null,
    exitCode: r.exitCode,
    arms: r.arms.map((a, i) => ({
      arm: ARM[i],
      value: a.label,
      pooled: figuresDoc(a.pooled),
      spread: Object.fromEntries(Object.entries(a.spread).map(([k, v]) => [k, v ?? null])),
      rounds: a.rounds.map((x) => ({
        round: x.round,
        runDir: x.runDir,
        exitCode: x.result.exitCode,
        ...figuresDoc(x.figures),
      })),
    })),
    ratiosBOverA: Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, finite(v)])),
  };
}

const fmt = (v: number | undefined, digits: number, percent = false) =>
  v === undefined || !Number.isFinite(v) ? '-' : percent ? `${(v * 100).toFixed(digits)}%` : v.toFixed(digits);
const range = (s: { min: number; max: number } | undefined, digits: number, percent = false) =>
  s === undefined ? '-' : `${fmt(s.min, digits, percent)}-${fmt(s.max, digits, percent)}`;

function rows(r: CompareResult): string[][] {
  const [a, b] = r.arms;
  return COMPARED.map(({ key, label, digits, percent }) => [
    label,
    fmt(a.pooled[key], digits, percent),
    fmt(b.pooled[key], digits, percent),
    fmt(r.ratios[key], 2),
    range(a.spread[key], digits, percent),
    range(b.spread[key], digits, percent),
  ]);
}

const heads = (r: CompareResult) => [
  '',
  `A: ${r.spec.key}=${r.spec.labels[0]}`,
  `B: ${r.spec.key}=${r.spec.labels[1]}`,
  'B/A',
  'A rounds min-max',
  'B rounds min-max',
];

const requestsLine = (r: CompareResult) =>
  r.arms
    .map((a, i) => `${ARM[i]}: ${a.pooled.requests} requests, ${a.pooled.errors} errors over ${a.rounds.length} rounds`)
    .join('; ');

export function compareTable(r: CompareResult): string {
  const body = [heads(r), ...rows(r)];
  const widths = (body[0] as string[]).map((_, i) => Math.max(...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    `compare ${r.spec.key}: ${r.order.length} rounds, order ${r.order.join(' ')} (figures pooled over rounds)`,
    line(body[0] as string[]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.slice(1).map(line),
    requestsLine(r),
    ...(r.aborted === undefined ? [] : [`aborted at ${r.aborted}`]),
  ].join('\n');
}

/** One self-contained page: the arms side by side, every round, and the rounds' latency curves. */
export function compareReport(run: CompareRun, r: CompareResult): string {
  const title = `callscribe compare ${run.runId}: ${r.spec.key} ${r.spec.labels[0]} vs ${r.spec.labels[1]}`;
  const table = `<table><tr>${heads(r)
    .map((h) => `<th>${esc(h)}</th>`)
    .join('')}</tr>${rows(r)
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n')}</table>`;
  const rounds = r.arms
    .flatMap((a, i) => a.rounds.map((x) => ({ arm: i === 0 ? 'A' : 'B', label: a.label, x })))
    .sort((p, q) => p.x.round - q.x.round);
  const roundTable = `<table><tr><th>round</th><th>arm</th><th>requests</th><th>errors</th>${COMPARED.map((c) => `<th>${esc(c.label)}</th>`).join('')}<th>report</th></tr>${rounds
    .map(
      ({ arm, label, x }) =>
        `<tr><td>${x.round}</td><td>${arm} (${esc(label)})</td><td>${x.figures.requests}</td><td>${x.figures.errors}</td>${COMPARED.map(
          (c) => `<td>${fmt(x.figures[c.key], c.digits, c.percent)}</td>`,
        ).join(
          '',
        )}<td><a href="rounds/round${x.round}-${arm.toLowerCase()}/report.html">round${x.round}-${arm.toLowerCase()}</a></td></tr>`,
    )
    .join('\n')}</table>`;
  const curves = rounds.flatMap(({ arm, x }) => x.result.measured.map((m) => ({ ...m, name: `${arm} r${x.round}` })));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px;margin-bottom:12px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}.warn{background:#fff6e0;border:1px solid #e8c060;padding:8px}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>Two arms, interleaved round by round (order ${esc(r.order.join(' '))}) so that the machine's drift falls on both. Each arm's figures pool its rounds: percentiles from the merged histograms, RTFx and req/s over the summed measured time, WER and DER as the mean of the rounds. B/A above 1 means B is higher. The min-max columns are the spread of each arm's per-round figure: a ratio inside that noise is not a difference. ${esc(requestsLine(r))}.</p>
${r.aborted === undefined ? '' : `<p class="warn">Stopped early: ${esc(r.aborted)}</p>`}
<h2>Arms side by side</h2>
${table}
<h2>Rounds</h2>
${roundTable}
<figure data-chart="latency">${renderSvg(latencyChart(curves))}</figure>
<h2>Run configuration</h2><pre>${esc(redactText(JSON.stringify(run.config, null, 2)))}</pre>
<p>Started ${esc(run.startedAt)}, finished ${esc(run.finishedAt)}; source ${esc(run.source)}.</p>
</body></html>
`;
}
