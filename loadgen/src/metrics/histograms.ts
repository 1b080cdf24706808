import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';

/**
 * Latencies are recorded in microseconds; RTF as parts per ten thousand, so every metric is an
 * integer with 3 significant digits of precision. In .hlog files the max column is in ms (ratio
 * 1000) for latencies and in RTF (ratio 10000) for rtf.
 */
export const METRICS = {
  latency: { unit: 'us', ratio: 1000, help: 'from the intended start to the final event (coordinated-omission safe)' },
  latency_uncorrected: { unit: 'us', ratio: 1000, help: 'from the actual send to the final event' },
  ttfs: { unit: 'us', ratio: 1000, help: 'from the actual send to the first segment' },
  after_audio_ms: { unit: 'us', ratio: 1000, help: 'from the last audio byte sent to the final event' },
  rtf: { unit: '1e-4', ratio: 10000, help: 'latency / audio duration' },
} as const;
export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2 ** 40,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export const toUnits = (metric: MetricName, value: number): number =>
  Math.max(1, Math.round(metric === 'rtf' ? value * 10000 : value * 1000));
export const fromUnits = (metric: MetricName, units: number): number =>
  metric === 'rtf' ? units / 10000 : units / 1000;

/** Whole-run histograms, plus an .hlog per metric with one interval line per second. */
export class MetricRecorder {
  readonly totals = new Map<MetricName, hdr.Histogram>();
  private readonly intervals = new Map<MetricName, hdr.Histogram>();
  private readonly logs = new Map<MetricName, { stream: WriteStream; writer: hdr.HistogramLogWriter }>();
  private intervalStart: number;
  private readonly timer: NodeJS.Timeout;

  constructor(outDir: string, prefix: string, startMs = Date.now(), intervalMs = 1000) {
    this.intervalStart = startMs;
    for (const m of METRIC_NAMES) {
      this.totals.set(m, newHistogram());
      this.intervals.set(m, newHistogram());
      const stream = createWriteStream(join(outDir, `${prefix}${m}.hlog`));
      const writer = new hdr.HistogramLogWriter((s) => stream.write(s));
      writer.outputComment(`[callscribe-loadgen ${m}: ${METRICS[m].help}; values in ${METRICS[m].unit}]`);
      writer.outputLogFormatVersion();
      writer.outputStartTime(startMs);
      writer.baseTime = startMs;
      writer.outputLegend();
      this.logs.set(m, { stream, writer });
    }
    this.timer = setInterval(() => this.flushInterval(), intervalMs);
    this.timer.unref();
  }

  /** value in ms for latencies, plain for rtf. */
  record(metric: MetricName, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const units = toUnits(metric, value);
    this.totals.get(metric)?.recordValue(units);
    this.intervals.get(metric)?.recordValue(units);
  }

  private flushInterval(): void {
    const now = Date.now();
    for (const m of METRIC_NAMES) {
      const h = this.intervals.get(m) as hdr.Histogram;
      const log = this.logs.get(m);
      h.startTimeStampMsec = this.intervalStart;
      h.endTimeStampMsec = now;
      log?.writer.outputIntervalHistogram(h, undefined, undefined, METRICS[m].ratio);
      h.reset();
    }
    this.intervalStart = now;
  }

  percentile(metric: MetricName, p: number): number {
    const h = this.totals.get(metric) as hdr.Histogram;
    return h.totalCount === 0 ? NaN : fromUnits(metric, h.getValueAtPercentile(p));
  }

  mean(metric: MetricName): number {
    const h = this.totals.get(metric) as hdr.Histogram;
    return h.totalCount === 0 ? NaN : fromUnits(metric, h.mean);
  }

  count(metric: MetricName): number {
    return this.totals.get(metric)?.totalCount ?? 0;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flushInterval();
    await Promise.all([...this.logs.values()].map(({ stream }) => new Promise<void>((r) => stream.end(r))));
  }
}
