/**
 * How a measured value is printed in the terminal table, the report and the threshold lines: one
 * function, so a threshold's "measured" reads exactly as the table's cell does.
 */

/** What a protocol could not measure (TTFS without streaming, stages over OpenAI's API): never 0. */
export const NOT_MEASURED = 'not measured';

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** Digits after the point per measure, as the tables print them; ratios of 1 (WER, DER) as percentages. */
const STYLE: Record<string, { digits: number; percent?: boolean }> = {
  latency: { digits: 0 },
  latency_uncorrected: { digits: 0 },
  ttfs: { digits: 0 },
  after_audio_ms: { digits: 0 },
  rtf: { digits: 3 },
  rtfx: { digits: 1 },
  throughput: { digits: 2 },
  wer: { digits: 1, percent: true },
  der: { digits: 1, percent: true },
  // Cheap machines at high RTFx cost fractions of a cent an audio hour.
  cost: { digits: 4 },
};

/** A measure by the name thresholds use (latency, rtf, wer, throughput...); NOT_MEASURED when absent. */
export function formatMeasure(metric: string, value: number | undefined): string {
  if (!finite(value)) return NOT_MEASURED;
  const style = STYLE[metric];
  if (style === undefined) return String(Number(value.toPrecision(4)));
  return style.percent === true ? `${(value * 100).toFixed(style.digits)}%` : value.toFixed(style.digits);
}

/** Samples needed before the p-th percentile is an observed value rather than the max: 100 for p99. */
export const samplesForPercentile = (p: number): number => Math.ceil(Number((100 / (100 - p)).toFixed(6)));

/**
 * A high percentile of `samples` values: printed as the percentile only when there are enough of them
 * (>= 100 for p99, >= 1,000 for p99.9), else as what it is, the max of the few there are.
 */
export function formatPercentile(metric: string, p: number, value: number | undefined, samples: number): string {
  const text = formatMeasure(metric, value);
  if (text === NOT_MEASURED || samples >= samplesForPercentile(p)) return text;
  return `${text} (max of ${samples})`;
}

/** "8.1% over 12 of 20 recordings": the WER and how many of the recordings had a reference. */
export function formatWer(wer: number | undefined, recordings: { scored: number; of: number }): string {
  const over = `${recordings.scored} of ${recordings.of} recordings`;
  return wer === undefined ? `no reference (${over})` : `${formatMeasure('wer', wer)} over ${over}`;
}
