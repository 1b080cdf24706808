import type { ThresholdResult } from '../gate/thresholds.js';
import type { MetricRecorder } from '../metrics/histograms.js';
import type { LevelRun } from './level-run.js';
import type { RequestResult, StageTimes } from './request-result.js';

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
  /** --cost-per-hour over the audio hours done per wall hour; undefined without a cost or audio. */
  costPerAudioHourUsd: number | undefined;
  latency: { p50: number; p90: number; p99: number; p999: number; max: number };
  uncorrected: { p50: number; p99: number };
  ttfs: { p50: number; p99: number };
  rtf: { p50: number; p99: number };
  wer: number | undefined;
  /** Distinct recordings with a reference (<name>.txt) among those transcribed: what the WER is over. */
  werRecordings: { scored: number; of: number };
  der: number | undefined;
  gpuUtilMean: number | undefined;
  gpuNote: string;
  schedulingLatenessP99Ms: number | undefined;
  /**
   * Mean server time per stage over the level's successful requests that reported it (gRPC: each
   * final event; whisperx-http: debug.whisperx_perf); a stage never reported is absent.
   */
  stagesMs: Partial<Record<Stage, number>> | undefined;
  /** Set when the level has too few requests for its high percentiles to mean much. */
  lowSampleNote: string | undefined;
  thresholds: ThresholdResult[];
  /** Why the abort rule stopped the run at this level. */
  aborted: string | undefined;
}

export const STAGES = ['decode', 'vad', 'queue', 'asr', 'align', 'diarize', 'assign'] as const;
export type Stage = (typeof STAGES)[number];

/** A request's server stages: the final event's timings (gRPC), or what the HTTP answer reported. */
export function serverStages(r: RequestResult): StageTimes | undefined {
  const t = r.final?.timings;
  if (t !== undefined)
    return {
      decode: t.decodeMs,
      vad: t.vadMs,
      queue: t.queueMs,
      asr: t.asrMs,
      align: t.alignMs,
      diarize: t.diarizeMs,
      assign: t.assignMs,
      total: t.totalMs,
    };
  return r.answer?.stagesMs;
}

function meanStages(ok: RequestResult[]): Partial<Record<Stage, number>> | undefined {
  const timed = ok.flatMap((r) => {
    const s = serverStages(r);
    return s === undefined ? [] : [s];
  });
  const means: Partial<Record<Stage, number>> = {};
  for (const st of STAGES) {
    const values = timed.flatMap((t) => (t[st] === undefined ? [] : [t[st]]));
    if (values.length > 0) means[st] = values.reduce((n, v) => n + v, 0) / values.length;
  }
  return Object.keys(means).length === 0 ? undefined : means;
}

/** Successful requests a p99 needs before it is an observed percentile rather than the max. */
export const MIN_SAMPLES_P99 = 100;

/**
 * Machine cost per audio hour: USD per wall hour over audio hours per wall hour (RTFx). Undefined
 * without a cost or with no audio done, never 0 or infinite.
 */
export function costPerAudioHour(costPerHourUsd: number, rtfx: number): number | undefined {
  return costPerHourUsd > 0 && rtfx > 0 && Number.isFinite(rtfx) ? costPerHourUsd / rtfx : undefined;
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
  const werRecordings = { scored: new Set(scored.map((r) => r.file)).size, of: new Set(ok.map((r) => r.file)).size };
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
    costPerAudioHourUsd: undefined,
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
    werRecordings,
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
