import type { ThresholdResult } from '../gate/thresholds.js';
import type { MetricRecorder } from '../metrics/histograms.js';
import type { LevelRun } from '../run/level-runner.js';
import type { RequestResult } from '../run/request-result.js';
import { stringify } from 'csv-stringify/sync';

export interface LevelSummary {
  level: string;
  schedule: string;
  requests: number;
  errors: number;
  errorKinds: string;
  wallSec: number;
  throughputRps: number;
  audioSec: number;
  rtfx: number;
  latency: { p50: number; p90: number; p99: number; p999: number; max: number };
  uncorrected: { p50: number; p99: number };
  ttfs: { p50: number; p99: number };
  rtf: { p50: number; p99: number };
  wer: number | undefined;
  der: number | undefined;
  gpuUtilMean: number | undefined;
  gpuNote: string;
  schedulingLatenessP99Ms: number | undefined;
  /** Mean server time per stage over the level's successful requests (from each final event). */
  stagesMs: Record<Stage, number> | undefined;
  /** Set when the level has too few requests for its high percentiles to mean much. */
  lowSampleNote: string | undefined;
  thresholds: ThresholdResult[];
  /** Why the abort rule stopped the run at this level. */
  aborted: string | undefined;
}

export const STAGES = ['decode', 'vad', 'queue', 'asr', 'align', 'diarize', 'assign'] as const;
export type Stage = (typeof STAGES)[number];

function meanStages(ok: RequestResult[]): Record<Stage, number> | undefined {
  const timed = ok.flatMap((r) => (r.final?.timings === undefined ? [] : [r.final.timings]));
  if (timed.length === 0) return undefined;
  const mean = (pick: (t: (typeof timed)[number]) => number) => timed.reduce((n, t) => n + pick(t), 0) / timed.length;
  return {
    decode: mean((t) => t.decodeMs),
    vad: mean((t) => t.vadMs),
    queue: mean((t) => t.queueMs),
    asr: mean((t) => t.asrMs),
    align: mean((t) => t.alignMs),
    diarize: mean((t) => t.diarizeMs),
    assign: mean((t) => t.assignMs),
  };
}

// The p-th percentile of n samples is an observed value only when n >= 1/(1-p): below that it is the max.
export function lowSampleNote(n: number): string | undefined {
  if (n < 100) return `${n} successful requests: p99 and above are the max (p99 needs >= 100, p99.9 >= 1,000)`;
  if (n < 1000) return `${n} successful requests: p99.9 is the max (p99.9 needs >= 1,000)`;
  return undefined;
}

export function summarize(
  level: string,
  schedule: string,
  run: LevelRun,
  results: RequestResult[],
  m: MetricRecorder,
  gpuNote: string,
): LevelSummary {
  const measured = results.filter((r) => !r.warmup);
  const ok = measured.filter((r) => r.status === 'OK');
  const errors = measured.filter((r) => r.status !== 'OK');
  const kinds = new Map<string, number>();
  for (const e of errors) kinds.set(e.status, (kinds.get(e.status) ?? 0) + 1);
  // Throughput over the measured window: from the first measured start to the last completion.
  const from = Math.min(...measured.map((r) => r.intendedStartMs));
  const to = Math.max(...measured.map((r) => r.endMs));
  const wallSec = measured.length === 0 ? 0 : (to - from) / 1000;
  const audioSec = ok.reduce((n, r) => n + (r.audioSec ?? 0), 0);
  const scored = ok.filter((r) => r.wer !== undefined && r.werRefWords > 0);
  const refWords = scored.reduce((n, r) => n + r.werRefWords, 0);
  const gpu = ok.filter((r) => r.gpuMean !== undefined);
  const diarized = ok.filter((r) => r.der !== undefined && r.derScoredSec > 0);
  const derSec = diarized.reduce((n, r) => n + r.derScoredSec, 0);
  const lateness = [...run.latenessMs].sort((a, b) => a - b);
  return {
    level,
    schedule,
    requests: measured.length,
    errors: errors.length,
    errorKinds: [...kinds].map(([k, n]) => `${k}:${n}`).join(' '),
    wallSec,
    throughputRps: wallSec > 0 ? ok.length / wallSec : 0,
    audioSec,
    rtfx: wallSec > 0 ? audioSec / wallSec : 0,
    latency: {
      p50: m.percentile('latency', 50),
      p90: m.percentile('latency', 90),
      p99: m.percentile('latency', 99),
      p999: m.percentile('latency', 99.9),
      max: m.percentile('latency', 100),
    },
    uncorrected: { p50: m.percentile('latency_uncorrected', 50), p99: m.percentile('latency_uncorrected', 99) },
    ttfs: { p50: m.percentile('ttfs', 50), p99: m.percentile('ttfs', 99) },
    rtf: { p50: m.percentile('rtf', 50), p99: m.percentile('rtf', 99) },
    wer: refWords > 0 ? scored.reduce((n, r) => n + (r.wer as number) * r.werRefWords, 0) / refWords : undefined,
    der: derSec > 0 ? diarized.reduce((n, r) => n + (r.der as number) * r.derScoredSec, 0) / derSec : undefined,
    gpuUtilMean: gpu.length > 0 ? gpu.reduce((n, r) => n + (r.gpuMean as number), 0) / gpu.length : undefined,
    gpuNote,
    schedulingLatenessP99Ms:
      lateness.length === 0
        ? undefined
        : lateness[Math.min(lateness.length - 1, Math.ceil(0.99 * lateness.length) - 1)],
    stagesMs: meanStages(ok),
    lowSampleNote: lowSampleNote(ok.length),
    thresholds: [],
    aborted: undefined,
  };
}

const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));

export function summaryCsv(rows: LevelSummary[]): string {
  return stringify(
    rows.map((s) => ({
      level: s.level,
      schedule: s.schedule,
      requests: s.requests,
      errors: s.errors,
      error_kinds: s.errorKinds,
      wall_sec: f(s.wallSec, 2),
      throughput_rps: f(s.throughputRps, 3),
      audio_sec: f(s.audioSec),
      rtfx: f(s.rtfx, 2),
      latency_p50_ms: f(s.latency.p50),
      latency_p90_ms: f(s.latency.p90),
      latency_p99_ms: f(s.latency.p99),
      latency_p999_ms: f(s.latency.p999),
      latency_max_ms: f(s.latency.max),
      uncorrected_p50_ms: f(s.uncorrected.p50),
      uncorrected_p99_ms: f(s.uncorrected.p99),
      ttfs_p50_ms: f(s.ttfs.p50),
      ttfs_p99_ms: f(s.ttfs.p99),
      rtf_p50: f(s.rtf.p50, 4),
      rtf_p99: f(s.rtf.p99, 4),
      wer: f(s.wer, 4),
      der: f(s.der, 4),
      gpu_util_mean_pct: f(s.gpuUtilMean),
      gpu_note: s.gpuNote,
      schedule_lateness_p99_ms: f(s.schedulingLatenessP99Ms, 2),
      ...Object.fromEntries(STAGES.map((st) => [`server_${st}_mean_ms`, f(s.stagesMs?.[st])])),
      thresholds_failed: s.thresholds
        .filter((t) => !t.passed)
        .map((t) => t.expression)
        .join(' '),
      aborted: s.aborted ?? '',
      note: s.lowSampleNote ?? '',
    })),
    { header: true },
  );
}

export function terminalTable(rows: LevelSummary[]): string {
  const headers = [
    'level',
    'reqs',
    'err',
    'req/s',
    'RTFx',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'uncorr p99',
    'TTFS p50',
    'RTF p50',
    'WER',
    'DER',
    'GPU %',
  ];
  const body = rows.map((s) => [
    s.level,
    String(s.requests),
    String(s.errors),
    f(s.throughputRps, 2),
    f(s.rtfx, 1),
    f(s.latency.p50, 0),
    f(s.latency.p90, 0),
    f(s.latency.p99, 0),
    f(s.latency.max, 0),
    f(s.uncorrected.p99, 0),
    f(s.ttfs.p50, 0),
    f(s.rtf.p50, 3),
    s.wer === undefined ? '-' : `${(s.wer * 100).toFixed(1)}%`,
    s.der === undefined ? '-' : `${(s.der * 100).toFixed(1)}%`,
    s.gpuUtilMean === undefined ? 'no GPU' : f(s.gpuUtilMean, 0),
  ]);
  const notes = rows.flatMap((s) => [
    ...(s.lowSampleNote === undefined ? [] : [`note: ${s.level}: ${s.lowSampleNote}`]),
    ...(s.aborted === undefined ? [] : [`aborted at ${s.level}: ${s.aborted}`]),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...notes].join('\n');
}
