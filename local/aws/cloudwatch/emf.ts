/**
 * The local stand-in for CloudWatch custom metrics: a service writes Embedded Metric Format lines to stdout
 * (as it would in Lambda, where CloudWatch Logs turns them into metrics); the deploy target reads them from
 * each version's process and the local business alarm judges them.
 */
import type { BusinessAlarmConfig } from '../../../lambdas/core/catalog/types';
import { serviceAlarmName } from '../../../lambdas/core/catalog/types';

export interface MetricPoint {
  /** Epoch ms when the line arrived. */
  readonly at: number;
  readonly version: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

interface EmfDirective {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/** The metrics one EMF log line carries; [] for any other line. */
export function parseEmfLine(line: string, version: string, at: number): MetricPoint[] {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('"_aws"')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line.slice(start)) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as { CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const points: MetricPoint[] = [];
  for (const directive of aws.CloudWatchMetrics as EmfDirective[]) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [[]];
    for (const metric of directive.Metrics as { Name?: unknown }[]) {
      if (typeof metric?.Name !== 'string') continue;
      const raw = doc[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      for (const set of dimensionSets) {
        const dimensions: Record<string, string> = {};
        for (const key of Array.isArray(set) ? set : []) {
          if (typeof key === 'string' && typeof doc[key] === 'string') dimensions[key] = doc[key] as string;
        }
        for (const value of values) {
          points.push({ at, version, namespace: directive.Namespace, name: metric.Name, dimensions, value });
        }
      }
    }
  }
  return points;
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
