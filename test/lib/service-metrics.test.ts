import { App, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ServiceMetricFactory } from '../../lib/service-metrics';

function factory() {
  const stack = new Stack(new App(), 'S');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1'),
  });
  const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  return { stack, metrics: new ServiceMetricFactory({ alias }) };
}

describe('ServiceMetricFactory', () => {
  it('computes the error rate as 100 * errors / invocations, both summed per minute on the alias', () => {
    const { stack, metrics } = factory();
    const rate = metrics.metricErrorRatePercent() as cloudwatch.MathExpression;
    expect(rate.expression).toBe('100 * errors / invocations');
    expect(rate.period.toSeconds()).toBe(60);
    const errors = stack.resolve((rate.usingMetrics.errors as cloudwatch.Metric).dimensions);
    expect(errors.Resource).toEqual({ 'Fn::Join': ['', [{ Ref: expect.stringMatching(/^Fn/) }, ':live']] });
    for (const name of ['errors', 'invocations']) {
      const metric = rate.usingMetrics[name] as cloudwatch.Metric;
      expect(metric.statistic).toBe('Sum');
      expect(metric.period.toSeconds()).toBe(60);
    }
  });

  it('takes p99 of Duration for latency', () => {
    const latency = factory().metrics.metricLatencyP99() as cloudwatch.Metric;
    expect(latency.metricName).toBe('Duration');
    expect(latency.statistic).toBe('p99');
  });
});
