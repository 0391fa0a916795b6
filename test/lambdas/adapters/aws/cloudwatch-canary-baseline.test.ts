import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchCanaryBaseline } from '../../../../lambdas/adapters/aws/cloudwatch-canary-baseline';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

const cloudWatch = mockClient(CloudWatchClient);
const baseline = () => new CloudWatchCanaryBaseline(new CloudWatchClient({}));
const window = {
  service: 'checkout',
  toVersion: '8',
  fromVersion: '7',
  start: new Date('2026-03-01T10:00:20Z'),
  end: new Date('2026-03-01T10:05:40Z'),
};

beforeEach(() => cloudWatch.reset());

describe('CloudWatchCanaryBaseline', () => {
  it('reads both versions over the whole bake in one period, with the queries the alarms use', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'canaryInvocations', Values: [120] },
        { Id: 'canaryErrorRate', Values: [20] },
        { Id: 'canaryP99', Values: [180.5] },
        { Id: 'previousInvocations', Values: [1080] },
        { Id: 'previousErrorRate', Values: [0.5] },
        { Id: 'previousP99', Values: [95] },
      ],
    });
    await expect(baseline().read(window)).resolves.toEqual({
      start: '2026-03-01T10:00:00.000Z',
      end: '2026-03-01T10:06:00.000Z',
      canary: { version: '8', invocations: 120, errorRatePercent: 20, p99LatencyMs: 180.5 },
      previous: { version: '7', invocations: 1080, errorRatePercent: 0.5, p99LatencyMs: 95 },
    });
    const [call] = cloudWatch.commandCalls(GetMetricDataCommand);
    const input = call?.args[0].input;
    expect(input?.StartTime).toEqual(new Date('2026-03-01T10:00:00Z'));
    expect(input?.EndTime).toEqual(new Date('2026-03-01T10:06:00Z'));
    expect(input?.MetricDataQueries?.map((q) => q.Id)).toEqual([
      'canaryInvocations',
      'canaryErrors',
      'canaryServerErrors',
      'canaryFailedBatches',
      'canaryErrorRate',
      'canaryP99',
      'previousInvocations',
      'previousErrors',
      'previousServerErrors',
      'previousFailedBatches',
      'previousErrorRate',
      'previousP99',
    ]);
    const rate = input?.MetricDataQueries?.find((q) => q.Id === 'canaryErrorRate');
    expect(rate?.Expression).toBe(
      '100 * (canaryErrors + canaryServerErrors + canaryFailedBatches) / canaryInvocations',
    );
    const p99 = input?.MetricDataQueries?.find((q) => q.Id === 'canaryP99');
    expect(p99?.MetricStat).toMatchObject({
      Period: 360,
      Stat: 'p99',
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [
          { Name: 'FunctionName', Value: 'sluice-checkout' },
          { Name: 'Resource', Value: 'sluice-checkout:live' },
          { Name: 'ExecutedVersion', Value: '8' },
        ],
      },
    });
  });

  it('reports a version without invocations as 0, with no rate or p99, and a first release without a previous one', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await expect(baseline().read({ ...window, fromVersion: undefined })).resolves.toEqual({
      start: '2026-03-01T10:00:00.000Z',
      end: '2026-03-01T10:06:00.000Z',
      canary: { version: '8', invocations: 0 },
    });
  });

  it('follows pages and turns throttling into a TransientError', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'canaryInvocations', Values: [3] }], NextToken: 'p2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'canaryErrorRate', Values: [0] }] });
    await expect(baseline().read({ ...window, fromVersion: undefined })).resolves.toMatchObject({
      canary: { invocations: 3, errorRatePercent: 0 },
    });
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('p2');
    cloudWatch.on(GetMetricDataCommand).rejects(awsError('Throttling', { status: 400 }));
    await expect(baseline().read(window)).rejects.toThrow(TransientError);
  });
});
