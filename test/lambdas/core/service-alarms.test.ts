import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import {
  blocksDeployments,
  judgedVersion,
  SERVICE_METRICS,
  serviceAlarmDefinitions,
  staleAlarmReason,
  UNRELEASED_VERSION,
} from '../../../lambdas/core/service-alarms';

const checkout: ServiceConfig = {
  name: 'checkout',
  mode: 'deployment',
  source: { repository: 'checkout', provider: 'codecommit', branch: 'main', path: '.' },
  runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
  smoke: { method: 'GET', path: '/', expectStatus: 200 },
  deploy: {
    strategy: 'Canary10Percent5Minutes',
    alarms: {
      errorRatePercent: 5,
      p99LatencyMs: 500,
      business: {
        namespace: 'Sluice/Checkout',
        metricName: 'OrdersCompleted',
        dimensions: { Service: 'checkout' },
        statistic: 'Sum',
        threshold: 1,
        direction: 'below',
        periods: 1,
        versionDimension: 'Version',
      },
    },
  },
};

const version = (v: string) => [
  { Name: 'FunctionName', Value: 'sluice-checkout' },
  { Name: 'Resource', Value: 'sluice-checkout:live' },
  { Name: 'ExecutedVersion', Value: v },
];

describe('serviceAlarmDefinitions', () => {
  const [errorRate, latency, business] = serviceAlarmDefinitions(checkout, '7');

  it('judges the error rate of the one version: thrown or timed out (Errors) plus 5xx answers plus partial batch failures, per invocation', () => {
    expect(errorRate).toEqual({
      AlarmName: 'sluice-checkout-error-rate',
      AlarmDescription: expect.stringContaining('version 7'),
      Metrics: [
        {
          Id: 'invocations',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: version('7') },
            Period: 60,
            Stat: 'Sum',
          },
        },
        {
          Id: 'errors',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: version('7') },
            Period: 60,
            Stat: 'Sum',
          },
        },
        {
          Id: 'serverErrors',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'Sluice/Service',
              MetricName: 'ServerErrors',
              Dimensions: [
                { Name: 'Service', Value: 'checkout' },
                { Name: 'Version', Value: '7' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
        {
          Id: 'failedBatches',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'Sluice/Service',
              MetricName: 'FailedBatches',
              Dimensions: [
                { Name: 'Service', Value: 'checkout' },
                { Name: 'Version', Value: '7' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
        {
          Id: 'errorRate',
          Label: 'Failed requests of version 7 (%)',
          ReturnData: true,
          Expression: '100 * (errors + serverErrors + failedBatches) / invocations',
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it("judges the p99 of the version's Duration through the live alias", () => {
    expect(latency).toEqual({
      AlarmName: 'sluice-checkout-p99-latency',
      AlarmDescription: expect.stringContaining('version 7'),
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: version('7'),
      Period: 60,
      ExtendedStatistic: 'p99',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 500,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('judges the business metric of the version only in minutes it had invocations', () => {
    expect(business).toMatchObject({
      AlarmName: 'sluice-checkout-business',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      // No invocations: IF drops the point, missing data is not breaching (quiet hours, first release).
      TreatMissingData: 'notBreaching',
    });
    expect(business?.Metrics).toEqual([
      expect.objectContaining({ Id: 'invocations', MetricStat: expect.objectContaining({ Stat: 'Sum' }) }),
      {
        Id: 'business',
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: 'Sluice/Checkout',
            MetricName: 'OrdersCompleted',
            Dimensions: [
              { Name: 'Service', Value: 'checkout' },
              { Name: 'Version', Value: '7' },
            ],
          },
          Period: 60,
          Stat: 'Sum',
        },
      },
      // Invocations but no business metric: IF gives 0, which is below the threshold (the canary is judged).
      { Id: 'judged', Label: expect.any(String), ReturnData: true, Expression: 'IF(invocations, business)' },
    ]);
  });

  it('judges a business metric without a version dimension as the whole service, and an above alarm alike', () => {
    const service: ServiceConfig = {
      ...checkout,
      deploy: {
        ...checkout.deploy,
        alarms: {
          ...checkout.deploy.alarms,
          business: {
            namespace: 'Shop',
            metricName: 'Refunds',
            dimensions: {},
            statistic: 'Maximum',
            threshold: 3,
            direction: 'above',
            periods: 2,
          },
        },
      },
    };
    const [, , alarm] = serviceAlarmDefinitions(service, '9');
    expect(alarm).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm?.Metrics?.[1]?.MetricStat).toEqual({
      Metric: { Namespace: 'Shop', MetricName: 'Refunds', Dimensions: [] },
      Period: 60,
      Stat: 'Maximum',
    });
  });

  it('has two alarms for a service without a business metric', () => {
    const plain = {
      ...checkout,
      deploy: { ...checkout.deploy, alarms: { errorRatePercent: 5, p99LatencyMs: 500 } },
    };
    expect(serviceAlarmDefinitions(plain, '1').map((a) => a.AlarmName)).toEqual([
      'sluice-checkout-error-rate',
      'sluice-checkout-p99-latency',
    ]);
  });

  it('differs between versions only in the version: retargeting changes nothing else', () => {
    const a = JSON.stringify(serviceAlarmDefinitions(checkout, '4242'));
    const b = JSON.stringify(serviceAlarmDefinitions(checkout, UNRELEASED_VERSION));
    expect(a.replaceAll('4242', UNRELEASED_VERSION)).toBe(b);
  });

  it('reads back the version every alarm judges, single-metric or metric math', () => {
    for (const alarm of serviceAlarmDefinitions(checkout, '12')) expect(judgedVersion(alarm)).toBe('12');
    for (const alarm of serviceAlarmDefinitions(checkout, UNRELEASED_VERSION)) {
      expect(judgedVersion(alarm)).toBe(UNRELEASED_VERSION);
    }
    expect(judgedVersion({ Dimensions: [{ Name: 'Service', Value: 'x' }] })).toBeUndefined();
  });

  it('names the wrapper metrics the alarms read', () => {
    expect(SERVICE_METRICS).toMatchObject({
      namespace: 'Sluice/Service',
      service: 'Service',
      version: 'Version',
      serverErrors: 'ServerErrors',
      failedBatches: 'FailedBatches',
    });
  });
});

describe('blocksDeployments and staleAlarmReason', () => {
  it('blocks on an alarm about the live version, none yet or an unknown one; not on a rolled-back canary', () => {
    expect(blocksDeployments('7', '7')).toBe(true);
    expect(blocksDeployments(UNRELEASED_VERSION, '7')).toBe(true);
    expect(blocksDeployments(undefined, '7')).toBe(true);
    expect(blocksDeployments('8', undefined)).toBe(true);
    expect(blocksDeployments('8', '7')).toBe(false);
  });

  it('clears only an ALARM about another version', () => {
    expect(staleAlarmReason('ALARM', '8', '9')).toBe('Now judging version 9; the ALARM was about version 8');
    expect(staleAlarmReason('ALARM', undefined, '9')).toMatch(/about version unknown$/);
    expect(staleAlarmReason('ALARM', '9', '9')).toBeUndefined();
    expect(staleAlarmReason('OK', '8', '9')).toBeUndefined();
    expect(staleAlarmReason('INSUFFICIENT_DATA', '8', '9')).toBeUndefined();
  });
});
