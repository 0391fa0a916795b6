/** Stage on fakes of its ports: the smoke check it runs (HTTP or event) and what it records. */
import { describe, expect, it } from 'vitest';
import type { ServiceConfig, SmokeConfig } from '../../../lambdas/core/catalog/types';
import { SmokeTestFailedError, TransientError } from '../../../lambdas/core/errors';
import type { ReleaseDocument } from '../../../lambdas/core/model';
import type { EventInvokeResult } from '../../../lambdas/core/ports';
import { type StagePorts, stageRelease } from '../../../lambdas/stage/stage';

const SQS = { Records: [{ messageId: 'smoke-1', body: '{"orderId":"o-1"}' }] };

function doc(smoke: SmokeConfig): ReleaseDocument {
  const config = {
    name: 'orders',
    mode: 'deployment',
    source: { repository: 'orders', provider: 'codecommit', branch: 'main', path: '.' },
    runtime: { entry: 'src/handler.ts', handler: 'handler', tests: 'test' },
    smoke,
    deploy: { strategy: 'Canary10Percent5Minutes', alarms: { errorRatePercent: 5, p99LatencyMs: 1000 } },
  } satisfies ServiceConfig;
  return {
    config,
    release: { releaseId: 'orders-abc', service: 'orders', commit: 'abc' },
    build: { artifactKey: 'releases/orders/abc/artifact.zip' },
  } as unknown as ReleaseDocument;
}

function ports(answer: () => Promise<EventInvokeResult>) {
  const invoked: unknown[] = [];
  const stages: { stage: string; detail?: string }[] = [];
  const fake = {
    deployTarget: {
      stageVersion: async () => ({ version: '4' }),
      invoke: async () => {
        throw new Error('an event service gets no HTTP request');
      },
      invokeEvent: async (_service: ServiceConfig, version: string, event: unknown) => {
        invoked.push({ version, event });
        return answer();
      },
    },
    ledger: {
      updateRelease: async () => undefined,
      recordStage: async (_id: string, stage: string, record: { detail?: string }) => {
        stages.push({ stage, ...(record.detail ? { detail: record.detail } : {}) });
      },
    },
    clock: { now: () => new Date('2026-12-04T10:00:00Z') },
  } as unknown as StagePorts;
  return { fake, invoked, stages };
}

describe('stageRelease with an event-driven smoke check', () => {
  it('invokes the staged version with the catalog event and records what came back', async () => {
    const { fake, invoked, stages } = ports(async () => ({
      payload: { batchItemFailures: [] },
      latencyMs: 9,
    }));
    const result = await stageRelease(doc({ event: SQS, expect: { batchItemFailures: [] } }), fake);
    expect(invoked).toEqual([{ version: '4', event: SQS }]);
    expect(result).toEqual({
      version: '4',
      smoke: { status: 200, latencyMs: 9, summary: 'event → {"batchItemFailures":[]}' },
    });
    expect(stages).toEqual([
      { stage: 'Stage', detail: 'version 4; smoke event → {"batchItemFailures":[]} in 9 ms' },
    ]);
  });

  it('fails Stage, named, when the handler reports failed items or throws', async () => {
    const partial = ports(async () => ({
      payload: { batchItemFailures: [{ itemIdentifier: 'smoke-1' }] },
      latencyMs: 3,
    }));
    const failed = stageRelease(doc({ event: SQS }), partial.fake);
    await expect(failed).rejects.toBeInstanceOf(SmokeTestFailedError);
    await expect(failed).rejects.toThrow(
      'Smoke test event on orders version 4 reported 1 failed batch item: {"batchItemFailures":[{"itemIdentifier":"smoke-1"}]}',
    );
    expect(partial.stages).toEqual([]);
    const thrown = ports(async () => ({
      payload: undefined,
      functionError: 'Error: queue gone',
      latencyMs: 3,
    }));
    await expect(stageRelease(doc({ event: SQS }), thrown.fake)).rejects.toThrow(
      'Smoke test event on orders version 4 threw Error: queue gone',
    );
  });

  it('lets a transient error through for the Retry, and names a version that does not answer', async () => {
    const throttled = ports(async () => {
      throw new TransientError('Rate exceeded');
    });
    await expect(stageRelease(doc({ event: SQS }), throttled.fake)).rejects.toBeInstanceOf(TransientError);
    const silent = ports(async () => {
      throw new Error('socket hang up');
    });
    await expect(stageRelease(doc({ event: SQS }), silent.fake)).rejects.toThrow(
      'Smoke test event on orders version 4 did not answer: socket hang up',
    );
  });
});
