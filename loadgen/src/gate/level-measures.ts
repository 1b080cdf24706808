import type { MeasuredLevel } from '../results/measured-level.js';
import type { MetricName } from '../metrics/histograms.js';
import type { LevelMeasures } from './thresholds.js';

/** A measured level seen by the names thresholds use. */
export function levelMeasures(m: MeasuredLevel): LevelMeasures {
  const s = m.summary;
  return {
    level: m.name,
    distribution(metric, stat) {
      const name = metric as MetricName;
      if (stat === 'mean') return m.metrics.mean(name);
      return m.metrics.percentile(name, stat === 'max' ? 100 : stat === 'min' ? 0 : Number(stat.slice(1)));
    },
    scalar(metric, stat) {
      switch (metric) {
        case 'errors':
          return stat === 'count' ? s.errors : s.requests === 0 ? undefined : s.errors / s.requests;
        case 'wer':
          return s.wer;
        case 'der':
          return s.der;
        case 'throughput':
          return s.throughputRps;
        case 'rtfx':
          return s.rtfx;
        case 'requests':
          return s.requests;
        default:
          return undefined;
      }
    },
  };
}
