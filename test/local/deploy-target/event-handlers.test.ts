/**
 * Event-driven services on the local deploy target: a version invoked directly with an event (Lambda's Invoke
 * API on its port), and a canary fed the catalog's events and judged by the same alarms as an HTTP service. The
 * handlers are wrapped by the real service wrapper, bundled as Build bundles it, so a partial batch response
 * reaches the local CloudWatch as it would reach CloudWatch in AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import { lambdaVersionDimensions, type MetricQuery } from '../../../lambdas/core/service-alarms';
import { runSmokeCheck } from '../../../lambdas/core/smoke-check';
import { LocalDeployTarget } from '../../../local/deploy-target';
import { wrappedBundle } from '../../support/wrapped-bundle';
import { artifactOf, MemoryArtifactStore, serviceConfig, serviceTemplate } from './support';

const SQS = { Records: [{ messageId: 'm-1', body: '{"orderId":"o-1"}', eventSource: 'aws:sqs' }] };

/** An SQS handler: stores each record; from its third batch on, every second batch fails its record. */
const HANDLERS = {
  good: `
    export async function handler(event) {
      return { batchItemFailures: [], stored: event.Records.map((r) => r.messageId) };
    }`,
  failsLater: `
    let batches = 0;
    export async function handler(event) {
      batches += 1;
      const failed = batches > 2 && batches % 2 === 0;
      return { batchItemFailures: failed ? event.Records.map((r) => ({ itemIdentifier: r.messageId })) : [] };
    }`,
  throws: `
    export async function handler(event) {
      if (!event.Records) throw new TypeError('not an SQS batch');
      return { batchItemFailures: [] };
    }`,
} as const;

let workDir: string;
let artifacts: MemoryArtifactStore;
const targets: LocalDeployTarget[] = [];

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'sluice-event-target-'));
  artifacts = new MemoryArtifactStore();
});

afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
  rmSync(workDir, { recursive: true, force: true });
});

function eventService(): ServiceConfig {
  const base = serviceConfig('orders', 'Canary10Percent5Minutes', { errorRatePercent: 5 });
  return { ...base, smoke: { event: SQS, expect: { batchItemFailures: [] } } };
}

function target(service: ServiceConfig): LocalDeployTarget {
  const created = new LocalDeployTarget({
    artifacts,
    workDir,
    // ×12: the canary would bake 25 s; 5 s alarm periods end a bad one long before.
    timeScale: 12,
    trafficPerSecond: 200,
    onEvent: async () => undefined,
    serviceTemplates: new Map([[service.name, serviceTemplate(service)]]),
  });
  targets.push(created);
  return created;
}

async function stage(t: LocalDeployTarget, service: ServiceConfig, source: string): Promise<string> {
  const key = `releases/orders/${artifacts.objects.size}/artifact.zip`;
  const text = await wrappedBundle({
    dir: mkdtempSync(join(workDir, 'src-')),
    file: 'handler.mjs',
    source,
    handler: 'handler',
    service: 'orders',
  });
  await artifacts.put(key, artifactOf(text));
  return (await t.stageVersion(service, `rel-${artifacts.objects.size}`, key)).version;
}

describe('event-driven services on the local deploy target', () => {
  it('invokes a staged version with the event itself and reads its result or its error, as Invoke does', async () => {
    const service = eventService();
    const t = target(service);
    const good = await stage(t, service, HANDLERS.good);
    await expect(t.invokeEvent(service, good, SQS)).resolves.toEqual({
      payload: { batchItemFailures: [], stored: ['m-1'] },
      latencyMs: expect.any(Number),
    });
    const throwing = await stage(t, service, HANDLERS.throws);
    await expect(t.invokeEvent(service, throwing, { detail: {} })).resolves.toEqual({
      payload: undefined,
      functionError: 'TypeError: not an SQS batch',
      latencyMs: expect.any(Number),
    });
    // The version keeps running after a function error, and Stage's check judges it as AWS would.
    const outcome = await runSmokeCheck(service.smoke, {
      http: (request) => t.invoke(service, throwing, request),
      event: (event) => t.invokeEvent(service, throwing, event),
    });
    expect(outcome).toMatchObject({ passed: true, summary: 'event → {"batchItemFailures":[]}' });
    await expect(t.invokeEvent(service, '9', SQS)).rejects.toThrow(/orders has no version 9/);
    // Each invocation wrote the wrapper's EMF line, by version. Logs reach CloudWatch apart from the answer (here:
    // stdout and the answer are separate pipes), so wait for the third line rather than expect it already read.
    await vi.waitFor(
      () =>
        expect(
          t
            .metrics('orders')
            .filter((m) => m.name === 'Requests')
            .map((m) => m.version),
        ).toEqual([good, throwing, throwing]),
      { timeout: 60_000, interval: 20 },
    );
  });

  it("rolls a canary back on partial batch failures under the catalog's events: Lambda's Errors stay 0, FailedBatches fire the error-rate alarm", async () => {
    const service = eventService();
    const t = target(service);
    const v1 = await stage(t, service, HANDLERS.good);
    const first = await t.startDeployment({ service, releaseId: 'first', toVersion: v1 });
    expect((await t.waitForDeployment(first.deploymentId)).status).toBe('Succeeded');
    const v2 = await stage(t, service, HANDLERS.failsLater);
    // Stage's smoke check passes: the first two batches of a fresh version succeed.
    expect(await t.invokeEvent(service, v2, SQS)).toMatchObject({ payload: { batchItemFailures: [] } });
    await t.judge(service, v2);
    const started = new Date();
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-bad',
      fromVersion: v1,
      toVersion: v2,
    });
    const description = await t.waitForDeployment(deploymentId);
    expect(description).toMatchObject({
      status: 'Failed',
      rolledBack: true,
      alarm: 'sluice-orders-error-rate',
    });
    const report = t.deploymentReport(deploymentId);
    expect(report.versions[v2]?.failed).toBeGreaterThan(0);
    expect(report.versions[v1]?.failed).toBe(0);
    expect(await t.liveVersion(service)).toBe(v1);

    // The canary's events went through the alias to both versions; Lambda saw no function error in any.
    const queries: MetricQuery[] = [
      {
        Id: 'errors',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: lambdaVersionDimensions('orders', v2),
          },
          Period: 3600,
          Stat: 'Sum',
        },
      },
      {
        Id: 'invocations',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Invocations',
            Dimensions: lambdaVersionDimensions('orders', v2),
          },
          Period: 3600,
          Stat: 'Sum',
        },
      },
    ];
    const errors = t.cloudWatch.getMetricData(queries, started.getTime() - 1000, Date.now() + 1000);
    expect(errors.get('invocations')).toBeGreaterThan(2);
    expect(errors.get('errors')).toBe(0);
    const failedBatches = t
      .metrics('orders')
      .filter((m) => m.name === 'FailedBatches' && m.version === v2 && m.value === 1);
    expect(failedBatches.length).toBeGreaterThan(0);
  });
});
