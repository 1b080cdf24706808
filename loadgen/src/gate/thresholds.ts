import { OptionError } from '#common/options.js';
import { formatMeasure } from '../results/measure-format.js';

/**
 * k6-style pass/fail criteria, checked at every level: `latency.p99<30000`, `rtf.p50<0.1`,
 * `errors.rate<0.01`, `wer<0.25`. Latencies are in ms.
 */
export interface Threshold {
  expression: string;
  metric: string;
  stat: string;
  op: '<' | '<=' | '>' | '>=' | '==';
  value: number;
}

export interface ThresholdResult {
  expression: string;
  /** The measure's name (latency, wer, ...), so its value prints as the tables print it. */
  metric: string;
  level: string;
  /** undefined when the level measured nothing for it: a gate with no data fails. */
  actual: number | undefined;
  passed: boolean;
}

/** What a level measured, by the names thresholds use. */
export interface LevelMeasures {
  level: string;
  /** A distribution: latency, latency_uncorrected, ttfs, after_audio_ms, rtf. */
  distribution(metric: string, stat: string): number | undefined;
  scalar(metric: string, stat: string): number | undefined;
}

export const DISTRIBUTIONS = ['latency', 'latency_uncorrected', 'ttfs', 'after_audio_ms', 'rtf'];
const SCALARS: Record<string, string[]> = {
  errors: ['rate', 'count'],
  wer: [''],
  der: [''],
  throughput: ['', 'rps'],
  rtfx: [''],
  requests: ['', 'count'],
};
const STAT = /^(p\d+(\.\d+)?|max|min|mean)$/;

export function parseThreshold(raw: string): Threshold {
  const m = /^\s*([a-z_]+)(?:\.([a-z0-9_.]+))?\s*(<=|>=|==|<|>)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(raw);
  const hint = `--threshold takes metric.stat<value, e.g. 'latency.p99<30000', 'rtf.p50<0.1', 'errors.rate<0.01', 'wer<0.25'; got "${raw}"`;
  if (m === null) throw new OptionError(hint);
  const metric = (m[1] as string).toLowerCase();
  const stat = (m[2] ?? '').toLowerCase();
  const value = Number(m[4]);
  if (!Number.isFinite(value)) throw new OptionError(hint);
  if (DISTRIBUTIONS.includes(metric)) {
    if (!STAT.test(stat) || (stat.startsWith('p') && Number(stat.slice(1)) > 100))
      throw new OptionError(`${metric} takes p50, p99, p99.9, max, min or mean in ${hint}`);
  } else if (!(SCALARS[metric] ?? []).includes(stat)) {
    throw new OptionError(
      `unknown threshold metric "${metric}${stat ? '.' + stat : ''}": use ${[...DISTRIBUTIONS.map((d) => `${d}.pNN`), 'errors.rate', 'errors.count', 'wer', 'der', 'throughput', 'rtfx', 'requests'].join(', ')}; ${hint}`,
    );
  }
  return { expression: raw.replace(/\s+/g, ''), metric, stat, op: m[3] as Threshold['op'], value };
}

const compare = (a: number, op: Threshold['op'], b: number) =>
  op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b;

export function evaluateThresholds(thresholds: Threshold[], m: LevelMeasures): ThresholdResult[] {
  return thresholds.map((t) => {
    const raw = DISTRIBUTIONS.includes(t.metric) ? m.distribution(t.metric, t.stat) : m.scalar(t.metric, t.stat);
    const actual = raw === undefined || !Number.isFinite(raw) ? undefined : raw;
    return {
      expression: t.expression,
      metric: t.metric,
      level: m.level,
      actual,
      passed: actual !== undefined && compare(actual, t.op, t.value),
    };
  });
}

export const formatThresholdResult = (r: ThresholdResult): string =>
  `${r.passed ? 'pass' : 'FAIL'}  ${r.level}  ${r.expression}  (measured ${r.actual === undefined ? 'nothing' : formatMeasure(r.metric, r.actual)})`;
