import { stringify } from 'csv-stringify/sync';
import { STAGES, type LevelSummary } from '../results/level-summary.js';
import { formatMeasure, formatPercentile } from '../results/measure-format.js';

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
      cost_per_audio_hour_usd: f(s.costPerAudioHourUsd, 4),
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
      wer_recordings_scored: s.werRecordings.scored,
      wer_recordings: s.werRecordings.of,
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
  const cost = rows.some((s) => s.costPerAudioHourUsd !== undefined);
  const headers = [
    'level',
    'reqs',
    'err',
    'req/s',
    'RTFx',
    ...(cost ? ['$/audio h'] : []),
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
  const body = rows.map((s) => {
    const ok = s.requests - s.errors;
    return [
      s.level,
      String(s.requests),
      String(s.errors),
      f(s.throughputRps, 2),
      f(s.rtfx, 1),
      ...(cost ? [formatMeasure('cost', s.costPerAudioHourUsd)] : []),
      formatMeasure('latency', s.latency.p50),
      formatPercentile('latency', 90, s.latency.p90, ok),
      formatPercentile('latency', 99, s.latency.p99, ok),
      formatMeasure('latency', s.latency.max),
      formatPercentile('latency_uncorrected', 99, s.uncorrected.p99, ok),
      formatMeasure('ttfs', s.ttfs.p50),
      formatMeasure('rtf', s.rtf.p50),
      s.wer === undefined ? '-' : formatMeasure('wer', s.wer),
      s.der === undefined ? '-' : formatMeasure('der', s.der),
      s.gpuUtilMean === undefined
        ? s.gpuNote.startsWith('not measured')
          ? 'not measured'
          : 'no GPU'
        : f(s.gpuUtilMean, 0),
    ];
  });
  const notes = rows.flatMap((s) => [
    ...(s.lowSampleNote === undefined ? [] : [`note: ${s.level}: ${s.lowSampleNote}`]),
    ...(s.wer === undefined
      ? []
      : [
          `note: ${s.level}: WER over ${s.werRecordings.scored} of ${s.werRecordings.of} recordings (those with a .txt reference)`,
        ]),
    ...(s.aborted === undefined ? [] : [`aborted at ${s.level}: ${s.aborted}`]),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...notes].join('\n');
}
