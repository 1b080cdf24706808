import type { EChartsOption, SeriesOption } from 'echarts';
import type { MetricName } from '../../metrics/histograms.js';
import type { MeasuredLevel } from '../../results/measured-level.js';
import type { StatsSample } from '../../results/stats-sample.js';
import { MIN_SAMPLES_P99, STAGES } from '../../results/level-summary.js';

/** A chart, or why it is not drawn (too few samples, or nothing the protocol measures). */
export type ReportChart = EChartsOption | { hidden: string };
export const hiddenReason = (c: ReportChart): string | undefined =>
  typeof (c as { hidden?: unknown }).hidden === 'string' ? (c as { hidden: string }).hidden : undefined;

// The classic HdrHistogram plot: x = log10(1/(1-p)), so the tail gets the room.
const tailX = (p: number) => Math.log10(1 / (1 - Math.min(p, 99.999) / 100));
const tailLabel = (x: number) => `${Number((100 - 100 / 10 ** x).toPrecision(4))}%`;
const round = (v: number, d = 3) => Number(v.toFixed(d));
const title = (text: string, subtext?: string) => ({
  text,
  left: 'center',
  textStyle: { fontSize: 14 },
  ...(subtext === undefined ? {} : { subtext, subtextStyle: { fontSize: 11 } }),
});
const grid = { left: 70, right: 160, top: 60, bottom: 50 };
const legend = { orient: 'vertical' as const, right: 5, top: 60, textStyle: { fontSize: 11 } };

function percentileChart(
  levels: MeasuredLevel[],
  metrics: Array<{ metric: MetricName; label: string; dashed: boolean }>,
  heading: string,
  yName: string,
  subtext?: string,
): EChartsOption {
  const series: SeriesOption[] = levels.flatMap((l, i) =>
    metrics.map(({ metric, label, dashed }) => ({
      type: 'line' as const,
      name: `${l.name} ${label}`.trim(),
      color: PALETTE[i % PALETTE.length],
      // Dashed lines are drawn over the solid ones, a little wider: where the two agree (no queueing)
      // the uncorrected curve would otherwise vanish under the corrected one.
      z: dashed ? 3 : 2,
      lineStyle: { type: dashed ? ('dashed' as const) : ('solid' as const), width: dashed ? 2.5 : 1.5 },
      data: l.curves[metric].filter(([, v]) => Number.isFinite(v)).map(([p, v]) => [round(tailX(p)), round(v)]),
    })),
  );
  return {
    title: title(heading, subtext),
    grid,
    legend,
    xAxis: {
      type: 'value',
      name: 'percentile',
      nameLocation: 'middle',
      nameGap: 28,
      min: 0,
      max: round(tailX(99.99)),
      interval: 1,
      axisLabel: { formatter: tailLabel },
    },
    yAxis: { type: 'value', name: yName },
    series,
  };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export const latencyChart = (levels: MeasuredLevel[]): EChartsOption =>
  percentileChart(
    levels,
    [
      { metric: 'latency', label: 'from intended start', dashed: false },
      { metric: 'latency_uncorrected', label: 'from send', dashed: true },
    ],
    'Latency by percentile: corrected (solid) vs uncorrected (dashed)',
    'ms',
    'the gap between the two is time spent waiting to be sent: coordinated omission',
  );

export const rtfChart = (levels: MeasuredLevel[]): EChartsOption =>
  percentileChart(
    levels,
    [{ metric: 'rtf', label: '', dashed: false }],
    'RTF distribution (latency / audio duration)',
    'RTF',
  );
export const ttfsChart = (levels: MeasuredLevel[], protocol = 'grpc'): ReportChart =>
  levels.some((l) => l.curves.ttfs.length > 0)
    ? percentileChart(
        levels,
        [{ metric: 'ttfs', label: '', dashed: false }],
        'Time to first segment distribution',
        'ms',
      )
    : {
        hidden: `Time to first segment: not measured${protocol === 'grpc' ? ' (no request succeeded)' : ` (--protocol ${protocol} answers once, at the end; openai streams with --openai-stream)`}.`,
      };

// A stage whose mean rounds to 0.0 ms would be a legend entry with no bar.
const drawnMs = (v: number | undefined) => round(v ?? 0, 1);

export function stagesChart(levels: MeasuredLevel[], protocol = 'grpc'): ReportChart {
  const shown = STAGES.filter((st) => levels.some((l) => drawnMs(l.summary.stagesMs?.[st]) > 0));
  if (shown.length === 0)
    return {
      hidden: `Server time per stage: not measured (${protocol === 'grpc' ? 'no request succeeded' : `--protocol ${protocol} reports no stages; whisperx-http does where the server sends debug.whisperx_perf`}).`,
    };
  return {
    title: title(
      'Server time per stage (mean per request)',
      'from each final event; stages run partly in parallel, so the stack can exceed the latency',
    ),
    grid,
    legend,
    tooltip: {},
    xAxis: { type: 'category', name: 'level', data: levels.map((l) => l.name) },
    yAxis: { type: 'value', name: 'ms' },
    series: shown.map((st, i) => ({
      type: 'bar' as const,
      stack: 'stages',
      name: st,
      color: PALETTE[i % PALETTE.length],
      data: levels.map((l) => drawnMs(l.summary.stagesMs?.[st])),
    })),
  };
}

/** Levels with too few successes have no p99 (only a max), so they are left off; with none left, no chart. */
export function saturationChart(levels: MeasuredLevel[]): ReportChart {
  const plotted = levels.filter(
    (l) => l.summary.requests - l.summary.errors >= MIN_SAMPLES_P99 && Number.isFinite(l.summary.latency.p99),
  );
  const fewest = Math.min(...levels.map((l) => l.summary.requests - l.summary.errors));
  if (plotted.length === 0)
    return {
      hidden: `Saturation chart (throughput vs p99) not drawn: a p99 needs at least ${MIN_SAMPLES_P99} successful requests per level, and the levels here had ${levels.length === 0 ? 'none' : `as few as ${fewest}`}.`,
    };
  return {
    title: title(
      'Saturation: throughput vs p99 latency, one point per level',
      plotted.length < levels.length
        ? `levels with fewer than ${MIN_SAMPLES_P99} successful requests are left out: ${levels
            .filter((l) => !plotted.includes(l))
            .map((l) => l.name)
            .join(', ')}`
        : undefined,
    ),
    grid,
    xAxis: { type: 'value', name: 'req/s', nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'value', name: 'p99 ms' },
    series: [
      {
        type: 'line',
        name: 'levels',
        color: PALETTE[0],
        label: { show: true, position: 'top', formatter: '{b}' },
        data: plotted.map((l) => ({
          name: l.name,
          value: [round(l.summary.throughputRps), round(l.summary.latency.p99)],
        })),
      },
    ],
  };
}

/** The time charts share one axis: seconds since the first level started, over the whole run. */
export interface TimeAxis {
  startMs: number;
  endSec: number;
}

export function timeAxisOf(levels: MeasuredLevel[], stats: StatsSample[]): TimeAxis {
  const startMs = levels[0]?.run.startMs ?? stats[0]?.atMs ?? Date.now();
  const endMs = Math.max(startMs + 1000, ...levels.map((l) => l.run.endMs));
  return { startMs, endSec: Math.ceil((endMs - startMs) / 1000) };
}

const sec = (axis: TimeAxis, atMs: number) => round((atMs - axis.startMs) / 1000, 2);

function timeChart(
  axis: TimeAxis,
  levels: MeasuredLevel[],
  heading: string,
  yName: string,
  series: SeriesOption[],
  subtext?: string,
): EChartsOption {
  // Shaded spans name the level running at each moment, so every time chart reads the same way.
  const spans = levels.map((l) => [
    { name: l.name, xAxis: sec(axis, l.run.startMs) },
    { xAxis: sec(axis, l.run.endMs) },
  ]);
  const marked = series.length > 0 ? series : [{ type: 'line' as const, name: '(none)', data: [] }];
  const first = marked[0] as SeriesOption & { markArea?: unknown };
  first.markArea = {
    silent: true,
    itemStyle: { color: 'rgba(120,120,120,0.06)', borderColor: '#bbb', borderWidth: 1 },
    label: { position: 'insideTop', fontSize: 10 },
    data: spans,
  };
  return {
    title: title(heading, subtext),
    grid,
    legend,
    xAxis: {
      type: 'value',
      name: 'seconds since run start',
      nameLocation: 'middle',
      nameGap: 28,
      min: 0,
      max: axis.endSec,
    },
    yAxis: { type: 'value', name: yName },
    series: marked,
  };
}

// Completions per second over a sliding 5 s window (timeline points are 250 ms apart): per-second
// counts of slow requests are a comb of zeros and ones.
const WINDOW_POINTS = 20;

export function throughputChart(axis: TimeAxis, levels: MeasuredLevel[]): EChartsOption {
  const series = levels.map((l, i) => {
    const tl = l.run.timeline;
    const data: Array<[number, number]> = [];
    for (let j = 4; j < tl.length; j += 4) {
      const a = tl[Math.max(0, j - WINDOW_POINTS)];
      const b = tl[j];
      if (a !== undefined && b !== undefined)
        data.push([sec(axis, b.atMs), round(((b.completed - a.completed) * 1000) / Math.max(1, b.atMs - a.atMs))]);
    }
    return { type: 'line' as const, name: l.name, color: PALETTE[i % PALETTE.length], showSymbol: false, data };
  });
  return timeChart(axis, levels, 'Throughput over time (5 s window)', 'req/s', series);
}

export function inFlightChart(axis: TimeAxis, levels: MeasuredLevel[]): EChartsOption {
  const series = levels.map((l, i) => ({
    type: 'line' as const,
    name: l.name,
    color: PALETTE[i % PALETTE.length],
    showSymbol: false,
    step: 'end' as const,
    data: l.run.timeline.map((p) => [sec(axis, p.atMs), p.inFlight]),
  }));
  return timeChart(axis, levels, 'Requests in flight over time', 'in flight', series);
}

export function errorTimelineChart(axis: TimeAxis, levels: MeasuredLevel[]): EChartsOption {
  const failures = levels.flatMap((l) => l.failures);
  const statuses = [...new Set(failures.map((f) => f.status))].sort();
  const series = statuses.map((status, i) => {
    const perSec = new Map<number, number>();
    for (const f of failures)
      if (f.status === status)
        perSec.set(
          Math.floor((f.atMs - axis.startMs) / 1000),
          (perSec.get(Math.floor((f.atMs - axis.startMs) / 1000)) ?? 0) + 1,
        );
    return {
      type: 'bar' as const,
      stack: 'errors',
      name: status,
      color: ['#d62728', '#ff7f0e', '#8c564b', '#e377c2'][i % 4],
      barMaxWidth: 12,
      data: [...perSec].map(([s, n]) => [s + 0.5, n]),
    };
  });
  return timeChart(
    axis,
    levels,
    'Failed requests over time (per second, by status)',
    'failed/s',
    series,
    failures.length === 0 ? 'no request failed' : `${failures.length} failed requests`,
  );
}

export function serverChart(
  axis: TimeAxis,
  levels: MeasuredLevel[],
  stats: StatsSample[],
  gpuNote: string,
  protocol = 'grpc',
): ReportChart {
  if (stats.length === 0 && protocol !== 'grpc')
    return {
      hidden: `GPU utilisation and transcriber queue: not measured (--protocol ${protocol} has no server stats).`,
    };
  const gpu = stats
    .filter((s) => s.gpuUtilPct !== undefined)
    .map((s) => [sec(axis, s.atMs), round(s.gpuUtilPct as number, 1)]);
  const queue = {
    type: 'line' as const,
    name: 'queued chunks',
    color: PALETTE[1],
    showSymbol: false,
    data: stats.map((s) => [sec(axis, s.atMs), s.queueDepth]),
  };
  const series: SeriesOption[] =
    gpu.length > 0
      ? [{ type: 'line', name: 'GPU util %', color: PALETTE[0], showSymbol: false, data: gpu }, queue]
      : [queue];
  return timeChart(
    axis,
    levels,
    gpu.length > 0 ? 'GPU utilisation and transcriber queue' : 'Transcriber queue',
    gpu.length > 0 ? '% / chunks' : 'chunks',
    series,
    gpu.length > 0 ? undefined : `no GPU utilisation: ${gpuNote || 'no GPU'}`,
  );
}
