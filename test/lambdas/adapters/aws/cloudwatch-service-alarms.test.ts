import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchServiceAlarms } from '../../../../lambdas/adapters/aws/cloudwatch-service-alarms';
import { TransientError } from '../../../../lambdas/core/errors';
import { serviceAlarmDefinitions, UNRELEASED_VERSION } from '../../../../lambdas/core/service-alarms';
import { awsError, service } from './helpers';

const cloudWatch = mockClient(CloudWatchClient);
const alarms = () => new CloudWatchServiceAlarms(new CloudWatchClient({}));

beforeEach(() => cloudWatch.reset());

describe('CloudWatchServiceAlarms', () => {
  it("asks DescribeAlarms for exactly the service's own metric alarms in ALARM, following every page", async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'sluice-orders-p99-latency' }], NextToken: 'page-2' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'sluice-orders-business' }] });
    await expect(alarms().inAlarm(service)).resolves.toEqual([
      'sluice-orders-business',
      'sluice-orders-p99-latency',
    ]);
    const calls = cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      AlarmNames: ['sluice-orders-error-rate', 'sluice-orders-p99-latency', 'sluice-orders-business'],
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm'],
    });
    expect(calls[1]).toMatchObject({ NextToken: 'page-2' });
  });

  it('never asks for composite alarms: their results need DescribeAlarms on *, the grant is on alarm ARNs', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({});
    await alarms().inAlarm(service);
    for (const call of cloudWatch.commandCalls(DescribeAlarmsCommand)) {
      expect(call.args[0].input.AlarmTypes).toEqual(['MetricAlarm']);
    }
  });

  it("does not take another service's alarms for its own (api vs api-admin)", async () => {
    const api = { ...service, name: 'api' };
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      // Whatever CloudWatch answers, only the service's own names count.
      MetricAlarms: [{ AlarmName: 'sluice-api-admin-error-rate' }, { AlarmName: 'sluice-api-error-rate' }],
    });
    await expect(alarms().inAlarm(api)).resolves.toEqual(['sluice-api-error-rate']);
    const [call] = cloudWatch.commandCalls(DescribeAlarmsCommand);
    expect(call?.args[0].input.AlarmNamePrefix).toBeUndefined();
    expect(call?.args[0].input.AlarmNames).toEqual([
      'sluice-api-error-rate',
      'sluice-api-p99-latency',
      'sluice-api-business',
    ]);
  });

  it('answers none when nothing is in ALARM, and turns throttling into a TransientError', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolvesOnce({});
    await expect(alarms().inAlarm(service)).resolves.toEqual([]);
    cloudWatch.on(DescribeAlarmsCommand).rejects(awsError('Throttling', { status: 400 }));
    await expect(alarms().inAlarm(service)).rejects.toThrow(TransientError);
  });

  it("blocks only on alarms that judge the live version or none yet; a rolled-back canary's alarm does not", async () => {
    const judging = (name: string, version: string) => ({
      AlarmName: name,
      Dimensions: [{ Name: 'ExecutedVersion', Value: version }],
    });
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        judging('sluice-orders-error-rate', '8'), // the canary that was rolled back: no traffic any more
        judging('sluice-orders-p99-latency', '7'), // the live version
        judging('sluice-orders-business', UNRELEASED_VERSION), // set by a person: a hold
      ],
    });
    await expect(alarms().inAlarm(service, '7')).resolves.toEqual([
      'sluice-orders-business',
      'sluice-orders-p99-latency',
    ]);
    // Before the first release nothing is live: every alarm in ALARM blocks.
    await expect(alarms().inAlarm(service, undefined)).resolves.toHaveLength(3);
  });
});

describe('CloudWatchServiceAlarms.judge', () => {
  const current = (name: string, extra: Record<string, unknown> = {}) => ({
    AlarmName: name,
    Dimensions: [{ Name: 'ExecutedVersion', Value: '6' }],
    ...extra,
  });

  it('rewrites every alarm the catalog defines to judge the new version, exactly as the one definition says', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [current('sluice-orders-error-rate'), current('sluice-orders-p99-latency')],
    });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await alarms().judge(service, '7');
    const describe = cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input;
    expect(describe).toEqual({
      AlarmNames: ['sluice-orders-error-rate', 'sluice-orders-p99-latency', 'sluice-orders-business'],
      AlarmTypes: ['MetricAlarm'],
    });
    const puts = cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(puts).toEqual(serviceAlarmDefinitions(service, '7'));
  });

  it('clears an ALARM about another version after rewriting it, so CodeDeploy does not stop on a stale state', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        // The canary rolled back a minute ago: PutMetricAlarm alone would leave this ALARM for the new version.
        current('sluice-orders-error-rate', { StateValue: 'ALARM' }),
        current('sluice-orders-p99-latency', { StateValue: 'OK' }),
      ],
    });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    cloudWatch.on(SetAlarmStateCommand).resolves({});
    await alarms().judge(service, '7');
    const sets = cloudWatch.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input);
    expect(sets).toEqual([
      {
        AlarmName: 'sluice-orders-error-rate',
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'Now judging version 7; the ALARM was about version 6',
      },
    ]);
    // After the rewrite, never before it: an evaluation in between must judge the new definition.
    const order = cloudWatch.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('SetAlarmStateCommand')).toBeGreaterThan(order.indexOf('PutMetricAlarmCommand'));
  });

  it('leaves an ALARM about the version it is pointed at alone', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [current('sluice-orders-error-rate', { StateValue: 'ALARM' })],
    });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await alarms().judge(service, '6');
    expect(cloudWatch.commandCalls(SetAlarmStateCommand)).toEqual([]);
  });

  it('keeps the actions someone gave an alarm', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        current('sluice-orders-error-rate', { AlarmActions: ['arn:aws:sns:eu-west-1:1:ops'] }),
        current('sluice-orders-p99-latency', { OKActions: ['arn:aws:sns:eu-west-1:1:ops'] }),
      ],
    });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await alarms().judge(service, '7');
    const [errorRate, latency] = cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(errorRate?.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:1:ops']);
    expect(latency?.OKActions).toEqual(['arn:aws:sns:eu-west-1:1:ops']);
  });

  it('creates an alarm the catalog defines that does not exist, so CodeDeploy can read every alarm', async () => {
    const withBusiness = {
      ...service,
      deploy: {
        ...service.deploy,
        alarms: {
          ...service.deploy.alarms,
          business: {
            namespace: 'Shop',
            metricName: 'Orders',
            dimensions: {},
            statistic: 'Sum' as const,
            threshold: 1,
            direction: 'below' as const,
            periods: 1,
          },
        },
      },
    };
    // A service stack older than its catalog entry, or one whose old alarm resources an update deleted.
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [current('sluice-orders-error-rate'), current('sluice-orders-p99-latency')],
    });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await alarms().judge(withBusiness, '7');
    const puts = cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(puts).toEqual(serviceAlarmDefinitions(withBusiness, '7'));
  });

  it('names the alarm and the version when CloudWatch refuses the write', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [current('sluice-orders-error-rate'), current('sluice-orders-p99-latency')],
    });
    cloudWatch.on(PutMetricAlarmCommand).rejects(awsError('AccessDenied', { status: 403 }));
    await expect(alarms().judge(service, '7')).rejects.toThrow(/sluice-orders-error-rate \(version 7\)/);
  });
});
