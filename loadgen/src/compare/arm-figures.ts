import { fromUnits, newHistogram, type MetricName } from '../metrics/histograms.js';
import type { LevelSummary } from '../results/level-summary.js';
import type { MeasuredLevel } from '../results/measured-level.js';

/** The figures an arm is compared on: one round's level, or the arm's rounds pooled. */
export interface ArmFigures {
  requests: number;
  errors: number;
  latencyP50Ms: number | undefined;
  latencyP90Ms: number | undefined;
  latencyP99Ms: number | undefined;
  ttfsP50Ms: number | undefined;
  rtfP50: number | undefined;
  rtfx: number | undefined;
  throughputRps: number | undefined;
  wer: number | undefined;
  der: number | undefined;
}
type Compared = Exclude<keyof ArmFigures, 'requests' | 'errors'>;

/** The rows of the side-by-side table, in order, with how each is printed. */
export const COMPARED: Array<{ key: Compared; label: string; digits: number; percent?: boolean }> = [
  { key: 'latencyP50Ms', label: 'latency p50 ms', digits: 0 },
  { key: 'latencyP90Ms', label: 'latency p90 ms', digits: 0 },
  { key: 'latencyP99Ms', label: 'latency p99 ms', digits: 0 },
  { key: 'ttfsP50Ms', label: 'TTFS p50 ms', digits: 0 },
  { key: 'rtfP50', label: 'RTF p50', digits: 3 },
  { key: 'rtfx', label: 'RTFx', digits: 1 },
  { key: 'throughputRps', label: 'req/s', digits: 2 },
  { key: 'wer', label: 'WER', digits: 1, percent: true },
  { key: 'der', label: 'DER', digits: 1, percent: true },
];

const defined = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
const orUndefined = (v: number) => (Number.isFinite(v) ? v : undefined);

export function roundFigures(s: LevelSummary): ArmFigures {
  return {
    requests: s.requests,
    errors: s.errors,
    latencyP50Ms: orUndefined(s.latency.p50),
    latencyP90Ms: orUndefined(s.latency.p90),
    latencyP99Ms: orUndefined(s.latency.p99),
    ttfsP50Ms: orUndefined(s.ttfs.p50),
    rtfP50: orUndefined(s.rtf.p50),
    rtfx: s.wallSec > 0 ? s.rtfx : undefined,
    throughputRps: s.wallSec > 0 ? s.throughputRps : undefined,
    wer: s.wer,
    der: s.der,
  };
}

function pooledPercentile(levels: MeasuredLevel[], metric: MetricName, p: number): number | undefined {
  const h = newHistogram();
  for (const l of levels) {
    const t = l.metrics.totals.get(metric);
    if (t !== undefined) h.add(t);
  }
  return h.totalCount === 0 ? undefined : fromUnits(metric, h.getValueAtPercentile(p));
}

const mean = (vs: Array<number | undefined>) => {
  const d = vs.filter(defined);
  return d.length === 0 ? undefined : d.reduce((a, b) => a + b, 0) / d.length;
};

/**
 * An arm over all its rounds: percentiles from the rounds' histograms merged (not averaged), RTFx and
 * req/s as totals over the summed measured wall time, WER and DER as the mean of the rounds (each round
 * scores the same recordings when rounds are passes over them).
 */
export function pooledFigures(levels: MeasuredLevel[]): ArmFigures {
  const s = levels.map((l) => l.summary);
  const wallSec = s.reduce((n, x) => n + x.wallSec, 0);
  const ok = s.reduce((n, x) => n + x.requests - x.errors, 0);
  return {
    requests: s.reduce((n, x) => n + x.requests, 0),
    errors: s.reduce((n, x) => n + x.errors, 0),
    latencyP50Ms: pooledPercentile(levels, 'latency', 50),
    latencyP90Ms: pooledPercentile(levels, 'latency', 90),
    latencyP99Ms: pooledPercentile(levels, 'latency', 99),
    ttfsP50Ms: pooledPercentile(levels, 'ttfs', 50),
    rtfP50: pooledPercentile(levels, 'rtf', 50),
    rtfx: wallSec > 0 ? s.reduce((n, x) => n + x.audioSec, 0) / wallSec : undefined,
    throughputRps: wallSec > 0 ? ok / wallSec : undefined,
    wer: mean(s.map((x) => x.wer)),
    der: mean(s.map((x) => x.der)),
  };
}

/** B/A for each compared figure; undefined where either arm measured nothing or A is 0. */
export function ratios(a: ArmFigures, b: ArmFigures): Record<Compared, number | undefined> {
  return Object.fromEntries(
    COMPARED.map(({ key }) => {
      const x = a[key];
      const y = b[key];
      return [key, defined(x) && defined(y) && x !== 0 ? y / x : undefined];
    }),
  ) as Record<Compared, number | undefined>;
}

/** Min and max of each figure over an arm's rounds: the noise the ratio has to stand out from. */
export function spread(rounds: ArmFigures[]): Record<Compared, { min: number; max: number } | undefined> {
  return Object.fromEntries(
    COMPARED.map(({ key }) => {
      const vs = rounds.map((r) => r[key]).filter(defined);
      return [key, vs.length === 0 ? undefined : { min: Math.min(...vs), max: Math.max(...vs) }];
    }),
  ) as Record<Compared, { min: number; max: number } | undefined>;
}
