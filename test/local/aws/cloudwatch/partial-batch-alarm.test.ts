/**
 * An SQS-style batch handler that reports failed items (`batchItemFailures`) returns normally, so Lambda counts no
 * Errors; the wrapper Build puts around it publishes FailedBatches, and the error-rate alarm the service's template
 * creates (and Deploy retargets) counts those invocations as failed. Here the real wrapper, bundled as Build does,
 * feeds the local CloudWatch the EMF lines it writes, next to the AWS/Lambda metrics of the same invocations.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { serviceResourceName } from '../../../../lambdas/core/catalog/types';
import { serviceAlarmDefinitions, UNRELEASED_VERSION } from '../../../../lambdas/core/service-alarms';
import type { MetricAlarmInput } from '../../../../local/aws/cloudwatch/alarm-definition';
import { LocalCloudWatch } from '../../../../local/aws/cloudwatch/local-cloudwatch';
import { templateAlarms } from '../../../../local/aws/cloudwatch/template-alarms';
import { invocationMetrics } from '../../../../local/aws/lambda/invocation-metrics';
import { testTempDir } from '../../../support/test-temp-dir';
import { loadBundle, wrappedBundle } from '../../../support/wrapped-bundle';
import { serviceConfig, serviceTemplate } from '../../deploy-target/support';

type Handler = (event: unknown) => Promise<unknown>;

/** Fails the records whose body is "poison", as SQS partial batch responses report them. */
const SQS_HANDLER = `
export async function handler(event) {
  const failed = event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId }));
  return { batchItemFailures: failed };
}
`;

const T0 = 1_700_000_040_000;
const service = serviceConfig('orders', 'Canary10Percent5Minutes', { errorRatePercent: 5 });
let dir: string;
let handler: Handler;

beforeAll(async () => {
  dir = testTempDir('batch-alarm-');
  const text = await wrappedBundle({
    dir,
    file: 'handler.mjs',
    source: SQS_HANDLER,
    handler: 'handler',
    service: 'orders',
  });
  handler = loadBundle<Handler>(text).handler as Handler;
});

/** One invocation of version `version` through the live alias: what it returned and the lines it wrote. */
async function invoke(version: string, bodies: readonly string[]): Promise<string[]> {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_VERSION', version);
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await handler({
      Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body, eventSource: 'aws:sqs' })),
    });
  } finally {
    spy.mockRestore();
    vi.unstubAllEnvs();
  }
  return written.flatMap((w) => w.split('\n').filter(Boolean));
}

describe('partial batch failures and the error-rate alarm', () => {
  it("is part of the template's error-rate alarm, which Deploy rewrites per version from the same definition", () => {
    const alarm = templateAlarms(serviceTemplate(service)).find(
      (a) => a.AlarmName === 'sluice-orders-error-rate',
    );
    expect(alarm).toEqual(
      expect.objectContaining(serviceAlarmDefinitions(service, UNRELEASED_VERSION)[0] as object),
    );
    const metrics = alarm?.Metrics as { ReturnData: boolean; Expression?: string }[];
    expect(metrics.find((m) => m.ReturnData)?.Expression).toBe(
      '100 * (errors + serverErrors + failedBatches) / invocations',
    );
  });

  it('fires on a version whose batches report failed items, though Lambda counted no Errors', async () => {
    // The wrapper stamps its EMF documents with Date.now(): only Date is faked, so the metrics land in the
    // periods the test chooses.
    vi.useFakeTimers({ toFake: ['Date'] });
    const at = (ms: number) => vi.setSystemTime(T0 + ms);
    at(0);
    const cloud = new LocalCloudWatch({ timeScale: 60, evaluateOnTimer: false });
    try {
      const [errorRate] = serviceAlarmDefinitions(service, '3');
      cloud.putMetricAlarm(errorRate as unknown as MetricAlarmInput);
      const fn = serviceResourceName('orders');
      // 20 invocations of version 3 within one compressed minute; 2 of them report one poisoned record each.
      for (let i = 0; i < 20; i++) {
        at(100 + i * 10);
        const bodies = i % 10 === 9 ? ['ok', 'poison', 'ok'] : ['ok', 'ok', 'ok'];
        for (const line of await invoke('3', bodies)) cloud.putLogLine(fn, '3', line);
        cloud.putMetricData(
          invocationMetrics({
            functionName: fn,
            version: '3',
            alias: 'live',
            startedAt: Date.now(),
            durationMs: 2,
            functionError: false,
          }),
        );
      }
      expect(cloud.loggedMetrics(fn).filter((m) => m.name === 'FailedBatches' && m.value === 1)).toHaveLength(
        2,
      );
      at(1000);
      const judgment = await cloud.evaluateAlarm('sluice-orders-error-rate');
      expect(judgment?.state).toBe('ALARM');
      // 2 failed invocations of 20: 10%, over the 5% threshold.
      expect(judgment?.reason).toMatch(/\[10 \(.*\)\] was greater than the threshold \(5\)/);
    } finally {
      cloud.close();
      vi.useRealTimers();
    }
  });
});
