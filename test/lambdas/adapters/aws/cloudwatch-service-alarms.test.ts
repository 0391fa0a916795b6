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
  it("asks DescribeAlarms for the service's alarms in ALARM, following every page", async () => {
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
      AlarmNamePrefix: 'sluice-orders-',
      StateValue: 'ALARM',
      // Not composite alarms: those need DescribeAlarms on `*`, and the grant names the service alarms.
      AlarmTypes: ['MetricAlarm'],
    });
    expect(calls[1]).toMatchObject({ NextToken: 'page-2' });
  });

  it('answers none when nothing is in ALARM, and turns throttling into a TransientError', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolvesOnce({});
    await expect(alarms().inAlarm(service)).resolves.toEqual([]);
    cloudWatch.on(DescribeAlarmsCommand).rejects(awsError('Throttling', { status: 400 }));
    await expect(alarms().inAlarm(service)).rejects.toThrow(TransientError);
  });
});
