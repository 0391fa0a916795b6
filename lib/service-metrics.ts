import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface ServiceMetricFactoryProps {
  /** What the metrics watch: the alias that takes live traffic, so a canary's errors count, not the old version's. */
  readonly alias: lambda.IAlias;
  /**
   * Period of every metric. One minute: a canary lasts minutes, its alarms must speak within one.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

/**
 * The metrics a Sluice service is judged by during a deployment, apart from the alarms on them (in the style
 * of cdk-monitoring-constructs' metric factories): dashboards and alarms use the same definitions.
 */
export class ServiceMetricFactory {
  private readonly alias: lambda.IAlias;
  private readonly period: Duration;

  constructor(props: ServiceMetricFactoryProps) {
    this.alias = props.alias;
    this.period = props.period ?? Duration.minutes(1);
  }

  metricInvocations(): cloudwatch.IMetric {
    return this.alias.metricInvocations({ statistic: cloudwatch.Stats.SUM, period: this.period });
  }

  metricErrors(): cloudwatch.IMetric {
    return this.alias.metricErrors({ statistic: cloudwatch.Stats.SUM, period: this.period });
  }

  /** Failed invocations as a percentage of all invocations; no data when there was no traffic. */
  metricErrorRatePercent(): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: '100 * errors / invocations',
      usingMetrics: { errors: this.metricErrors(), invocations: this.metricInvocations() },
      label: 'Error rate (%)',
      period: this.period,
    });
  }

  /** p99 of the handler's duration, in milliseconds. */
  metricLatencyP99(): cloudwatch.IMetric {
    return this.alias.metricDuration({
      statistic: cloudwatch.Stats.p(99),
      period: this.period,
      label: 'p99 latency (ms)',
    });
  }
}
