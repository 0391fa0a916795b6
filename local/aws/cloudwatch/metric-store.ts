/**
 * The local CloudWatch's metrics: raw datapoints by metric identity (namespace, name and the exact set of
 * dimensions, as CloudWatch identifies a metric), kept for as long as some alarm can look back.
 */
import type { MetricIdentity } from './alarm-definition';

export interface MetricDatum extends MetricIdentity {
  /** Epoch ms the value is for (the invocation's start, an EMF line's Timestamp). */
  readonly timestamp: number;
  readonly value: number;
  readonly unit?: string;
}

interface Sample {
  readonly at: number;
  readonly value: number;
}

/** The identity key: a metric with one more or one fewer dimension is another metric. */
export function metricKey(metric: MetricIdentity): string {
  const dims = Object.entries(metric.dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`);
  return [metric.namespace, metric.metricName, ...dims].join('\u0000');
}

export interface MetricStoreOptions {
  /** How long a datapoint is kept at least, in real ms. @default 60 000 */
  readonly retentionMs?: number;
}

/** First index whose sample is at or after `at` (samples sorted by time). */
function firstAtOrAfter(samples: readonly Sample[], at: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((samples[mid] as Sample).at < at) low = mid + 1;
    else high = mid;
  }
  return low;
}

export class MetricStore {
  private readonly series = new Map<
    string,
    { readonly metric: MetricIdentity; readonly samples: Sample[] }
  >();
  /** Raised by the local CloudWatch to cover its alarms' evaluation ranges. */
  retentionMs: number;

  constructor(options: MetricStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 60_000;
  }

  /** PutMetricData for one value. */
  put(datum: MetricDatum): void {
    if (!Number.isFinite(datum.value) || !Number.isFinite(datum.timestamp)) return;
    const key = metricKey(datum);
    let entry = this.series.get(key);
    if (!entry) {
      entry = {
        metric: {
          namespace: datum.namespace,
          metricName: datum.metricName,
          dimensions: { ...datum.dimensions },
        },
        samples: [],
      };
      this.series.set(key, entry);
    }
    const { samples } = entry;
    // Kept sorted; values arrive nearly in order, so the insertion point is found from the end.
    let at = samples.length;
    while (at > 0 && (samples[at - 1] as Sample).at > datum.timestamp) at--;
    samples.splice(at, 0, { at: datum.timestamp, value: datum.value });
    // Expired samples go in batches (a quarter of the retention late), not one by one.
    const cutoff = datum.timestamp - this.retentionMs;
    if ((samples[0] as Sample).at < cutoff - this.retentionMs / 4)
      samples.splice(0, firstAtOrAfter(samples, cutoff));
  }

  /** The values of exactly this metric with a timestamp in [start, end). */
  values(metric: MetricIdentity, start: number, end: number): number[] {
    const samples = this.series.get(metricKey(metric))?.samples ?? [];
    const out: number[] = [];
    for (let i = firstAtOrAfter(samples, start); i < samples.length; i++) {
      const sample = samples[i] as Sample;
      if (sample.at >= end) break;
      out.push(sample.value);
    }
    return out;
  }

  /** ListMetrics: every metric that has datapoints, optionally of one namespace and name. */
  list(filter: { namespace?: string; metricName?: string } = {}): MetricIdentity[] {
    return [...this.series.values()]
      .filter(({ metric, samples }) => {
        if (samples.length === 0) return false;
        if (filter.namespace !== undefined && metric.namespace !== filter.namespace) return false;
        return filter.metricName === undefined || metric.metricName === filter.metricName;
      })
      .map(({ metric }) => metric);
  }
}
