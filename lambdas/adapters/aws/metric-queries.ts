import type { Dimension, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { MetricDimension, MetricQuery } from '../../core/service-alarms';

/** The SDK's dimensions from the core's (readonly) ones. */
export function sdkDimensions(dimensions: readonly MetricDimension[]): Dimension[] {
  return dimensions.map(({ Name, Value }) => ({ Name, Value }));
}

/** The SDK's MetricDataQuery from the core's (PutMetricAlarm's `Metrics`, GetMetricData's queries). */
export function sdkQuery(query: MetricQuery): MetricDataQuery {
  const { MetricStat, ...rest } = query;
  if (!MetricStat) return rest;
  const { Metric, ...stat } = MetricStat;
  return {
    ...rest,
    MetricStat: { ...stat, Metric: { ...Metric, Dimensions: sdkDimensions(Metric.Dimensions) } },
  };
}
