/**
 * The local judgment of a deployment until the template's alarms take over (issue 10): the new version's error
 * rate (5xx answers included) and p99 latency over the last (compressed) minute with a minimum request count, and
 * the business metric the new version printed. Neither rule is CloudWatch's; `LocalCloudWatch` evaluates the
 * template's alarms alongside.
 */
import type { AlarmConfig, BusinessAlarmConfig } from '../../../lambdas/core/catalog/types';
import { type ServiceAlarmKind, serviceAlarmName } from '../../../lambdas/core/catalog/types';
import type { RequestSample } from '../lambda/alias';

/** Fewer requests than this in the window is CloudWatch's INSUFFICIENT_DATA: no alarm on 1 failure out of 2. */
export const ALARM_MIN_REQUESTS = 10;

export type AlarmMetric = ServiceAlarmKind;

export interface AlarmBreach {
  readonly alarm: string;
  readonly metric: AlarmMetric;
  /** The measured figure: percent for error-rate, ms for p99-latency, the statistic (NaN: no data) for business. */
  readonly value: number;
  readonly threshold: number;
  /** Requests in the evaluated window. */
  readonly requests: number;
  readonly reason: string;
}

/** Nearest-rank percentile (what CloudWatch reports for small samples); 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Whether one request breaches a threshold on its own (for the report's "first failing request"). */
export function isFailingSample(sample: RequestSample, alarms: AlarmConfig): boolean {
  return sample.failed || sample.latencyMs > alarms.p99LatencyMs;
}

export interface AlarmWindow {
  readonly now: number;
  /** One CodeDeploy minute in real ms (60 000 / timeScale). */
  readonly periodMs: number;
  readonly minRequests?: number;
}

/**
 * The requests the alarms judge: those of the last period. Time compression shrinks the sample a period
 * holds (a minute of 40 req/s at 10% is 240 requests; compressed 60× it is 4), so a period with fewer than
 * `minRequests` reaches back to the last `minRequests` requests instead of judging on a handful.
 */
export function alarmWindow(
  samples: readonly RequestSample[],
  window: AlarmWindow,
): readonly RequestSample[] {
  const min = window.minRequests ?? ALARM_MIN_REQUESTS;
  const since = window.now - window.periodMs;
  let start = samples.length;
  while (start > 0 && samples[start - 1].at >= since) start--;
  if (samples.length - start < min) start = Math.max(0, samples.length - min);
  return samples.slice(start);
}

/**
 * Evaluates both alarms on the new version's samples (in arrival order). Returns the first breach, error rate
 * before latency, or undefined while both are OK or there is not enough data.
 */
export function evaluateAlarms(
  service: string,
  samples: readonly RequestSample[],
  alarms: AlarmConfig,
  window: AlarmWindow,
): AlarmBreach | undefined {
  const inWindow = alarmWindow(samples, window);
  const requests = inWindow.length;
  if (requests < (window.minRequests ?? ALARM_MIN_REQUESTS)) return undefined;
  const failed = inWindow.filter((s) => s.failed).length;
  const errorRate = (failed / requests) * 100;
  if (errorRate > alarms.errorRatePercent) {
    const alarm = serviceAlarmName(service, 'error-rate');
    return {
      alarm,
      metric: 'error-rate',
      value: errorRate,
      threshold: alarms.errorRatePercent,
      requests,
      reason:
        `Alarm ${alarm} fired: ${errorRate.toFixed(1)}% of ${requests} requests failed ` +
        `(threshold ${alarms.errorRatePercent}%)`,
    };
  }
  const p99 = percentile(
    inWindow.map((s) => s.latencyMs),
    99,
  );
  if (p99 > alarms.p99LatencyMs) {
    const alarm = serviceAlarmName(service, 'p99-latency');
    return {
      alarm,
      metric: 'p99-latency',
      value: p99,
      threshold: alarms.p99LatencyMs,
      requests,
      reason: `Alarm ${alarm} fired: p99 latency ${Math.round(p99)} ms over ${requests} requests (threshold ${alarms.p99LatencyMs} ms)`,
    };
  }
  return undefined;
}

/** A metric value one version printed as an EMF line. */
export interface MetricPoint {
  /** Epoch ms when the line arrived. */
  readonly at: number;
  readonly version: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Whether a point is the metric the alarm watches (same namespace, name and every configured dimension). */
export function matchesMetric(point: MetricPoint, alarm: BusinessAlarmConfig): boolean {
  if (point.namespace !== alarm.namespace || point.name !== alarm.metricName) return false;
  return Object.entries(alarm.dimensions).every(([key, value]) => point.dimensions[key] === value);
}

/** CloudWatch's statistic over the values; undefined for no data (Sum and SampleCount of nothing are 0). */
export function statistic(
  values: readonly number[],
  stat: BusinessAlarmConfig['statistic'],
): number | undefined {
  if (stat === 'SampleCount') return values.length;
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (values.length === 0) return undefined;
  if (stat === 'Average') return values.reduce((a, b) => a + b, 0) / values.length;
  return stat === 'Minimum' ? Math.min(...values) : Math.max(...values);
}

export interface BusinessBreach {
  readonly alarm: string;
  readonly value: number | undefined;
  readonly reason: string;
}

/**
 * Judges the business alarm on the points the new version emitted while it answered `requests` requests.
 * No data breaches a `below` alarm (a metric that stops arriving is the failure it watches for) and never an
 * `above` one: what the SluiceService construct sets as TreatMissingData.
 */
export function evaluateBusinessAlarm(
  service: string,
  points: readonly MetricPoint[],
  alarm: BusinessAlarmConfig,
  requests: number,
): BusinessBreach | undefined {
  const value = statistic(
    points.filter((p) => matchesMetric(p, alarm)).map((p) => p.value),
    alarm.statistic,
  );
  const name = serviceAlarmName(service, 'business');
  const what = `${alarm.statistic} of ${alarm.namespace}/${alarm.metricName}`;
  if (value === undefined) {
    if (alarm.direction !== 'below') return undefined;
    return {
      alarm: name,
      value,
      reason: `Alarm ${name} fired: no ${alarm.namespace}/${alarm.metricName} data over ${requests} requests (missing data breaches a "below" alarm)`,
    };
  }
  const breached = alarm.direction === 'below' ? value < alarm.threshold : value > alarm.threshold;
  if (!breached) return undefined;
  return {
    alarm: name,
    value,
    reason: `Alarm ${name} fired: ${what} was ${Math.round(value * 100) / 100} over ${requests} requests (${alarm.direction} threshold ${alarm.threshold})`,
  };
}
