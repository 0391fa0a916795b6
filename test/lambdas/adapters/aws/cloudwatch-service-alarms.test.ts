import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchServiceAlarms } from '../../../../lambdas/adapters/aws/cloudwatch-service-alarms';
import { TransientError } from '../../../../lambdas/core/errors';
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
    expect(call.args[0].input.AlarmNamePrefix).toBeUndefined();
    expect(call.args[0].input.AlarmNames).toEqual([
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
});
