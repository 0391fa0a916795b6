import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRequest, ReleaseStatus } from '../../../lambdas/core/model';
import { MAX_ATTEMPTS } from '../../../lambdas/core/push-routing';
import { RetryRefusedError, retryRelease } from '../../../lambdas/core/retry';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { parseReleaseRequest } from '../../../lambdas/load-service/load-service';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let dynamo: TestLedger;
beforeAll(async () => {
  dynamo = await startTestLedger();
});
afterAll(async () => dynamo?.stop());

const at = '2026-11-01T00:00:00.000Z';
const SHA = 'a'.repeat(40);

class RecordingStarter {
  readonly started: ReleaseRequest[] = [];
  async start(request: ReleaseRequest) {
    this.started.push(request);
    return { status: 'started' as const };
  }
}

async function releaseEnded(ledger: Ledger, releaseId: string, status: ReleaseStatus): Promise<void> {
  await ledger.startRelease({
    releaseId,
    service: 'svc',
    mode: 'deployment',
    commit: { sha: SHA, author: 'dev@example.com', message: 'change', time: at },
    startedAt: at,
    trigger: { source: 'github' },
  });
  if (status !== 'running')
    await ledger.finishRelease(releaseId, 'svc', { status, stage: 'Test', endedAt: at });
}

const ask = (releaseId: string) => ({ releaseId, reason: 'flaky test', requestedBy: 'dana@example.com' });

describe('retryRelease', () => {
  it.each(['failed', 'expired', 'blocked', 'timed_out', 'aborted', 'cancelled'] as const)(
    'starts attempt 2 of a %s release, with who and why, on the same commit',
    async (status) => {
      const ledger = await dynamo.newLedger();
      const executions = new RecordingStarter();
      await releaseEnded(ledger, 'svc-aaaaaaaaaaaa', status);

      const next = await retryRelease(ask('svc-aaaaaaaaaaaa'), { ledger, executions });

      expect(executions.started).toEqual([next]);
      expect(next).toEqual({
        releaseId: 'svc-aaaaaaaaaaaa',
        service: 'svc',
        commit: SHA,
        attempt: 2,
        retry: { requestedBy: 'dana@example.com', reason: 'flaky test' },
        trigger: { source: 'manual', actor: 'dana@example.com' },
      });
    },
  );

  it.each([
    ['running', /still running/],
    ['succeeded', /it succeeded/],
    ['superseded', /replaced it at the gate/],
    ['rejected', /a person rejected it; the fix is a new commit/],
    ['rolled_back', /an alarm rolled its canary back/],
  ] as const)('refuses a %s release with the reason, and starts nothing', async (status, why) => {
    const ledger = await dynamo.newLedger();
    const executions = new RecordingStarter();
    await releaseEnded(ledger, 'svc-bbbbbbbbbbbb', status);

    await expect(retryRelease(ask('svc-bbbbbbbbbbbb'), { ledger, executions })).rejects.toThrow(why);
    expect(executions.started).toEqual([]);
  });

  it('refuses an unknown release, no reason, no name, and a release that never found its commit', async () => {
    const ledger = await dynamo.newLedger();
    const executions = new RecordingStarter();
    await expect(retryRelease(ask('svc-unknown'), { ledger, executions })).rejects.toThrow(RetryRefusedError);
    await expect(retryRelease({ ...ask('svc-unknown'), reason: '' }, { ledger, executions })).rejects.toThrow(
      /Give a reason/,
    );
    await expect(
      retryRelease({ ...ask('svc-unknown'), requestedBy: ' ' }, { ledger, executions }),
    ).rejects.toThrow(/--as EMAIL/);
    await ledger.finishRelease('nosvc-cccccccccccc', 'nosvc', {
      status: 'failed',
      stage: 'LoadService',
      endedAt: at,
    });
    await expect(retryRelease(ask('nosvc-cccccccccccc'), { ledger, executions })).rejects.toThrow(
      /never resolved a commit/,
    );
    expect(executions.started).toEqual([]);
  });
});

describe('the release request of an attempt', () => {
  const request = { releaseId: 'svc-aaaaaaaaaaaa', service: 'svc', trigger: { source: 'manual' } };

  it('takes attempt 1-99, and from attempt 2 on who asked and why', () => {
    expect(parseReleaseRequest(request).attempt).toBeUndefined();
    const retry = { requestedBy: 'dana@example.com', reason: 'flaky' };
    expect(parseReleaseRequest({ ...request, attempt: 2, retry })).toMatchObject({ attempt: 2, retry });
    for (const attempt of [0, 1.5, MAX_ATTEMPTS + 1, '2']) {
      expect(() => parseReleaseRequest({ ...request, attempt, retry })).toThrow(/attempt: received/);
    }
    expect(() => parseReleaseRequest({ ...request, attempt: 2 })).toThrow(/name who asked for them and why/);
  });
});
