import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseInfo } from '../../../lambdas/core/model';
import { type Ledger, LedgerConflictError } from '../../../lambdas/ledger/ledger';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let dynamo: TestLedger;
beforeAll(async () => {
  dynamo = await startTestLedger();
});
afterAll(async () => dynamo?.stop());

const release = (id: string, service: string, startedAt: string): ReleaseInfo => ({
  releaseId: id,
  service,
  mode: 'delivery',
  commit: { sha: id.padEnd(40, '0'), author: 'dev@example.com', message: id, time: startedAt },
  startedAt,
  trigger: { source: 'manual' },
});

describe('Ledger.listReleasesSince', () => {
  it('lists the releases of one service started at or after the date, newest first', async () => {
    const ledger: Ledger = await dynamo.newLedger();
    await ledger.startRelease(release('a1', 'a', '2026-11-01T00:00:00.000Z'));
    await ledger.startRelease(release('a2', 'a', '2026-11-05T00:00:00.000Z'));
    await ledger.startRelease(release('a3', 'a', '2026-11-09T00:00:00.000Z'));
    await ledger.startRelease(release('b1', 'b', '2026-11-06T00:00:00.000Z'));
    const since = await ledger.listReleasesSince('a', '2026-11-05T00:00:00.000Z');
    expect(since.map((r) => r.releaseId)).toEqual(['a3', 'a2']);
    expect(await ledger.listReleasesSince('c', '2026-01-01T00:00:00.000Z')).toEqual([]);
  });
});

describe('Ledger mode switches', () => {
  it('switches an auto service once, keeps the evidence, and refuses a switch from a mode it is not in', async () => {
    const ledger = await dynamo.newLedger();
    expect(await ledger.getServiceMode('svc')).toBeUndefined();
    const promote = {
      service: 'svc',
      from: 'delivery' as const,
      mode: 'deployment' as const,
      since: '2026-11-10T00:00:00.000Z',
      reason: 'ready',
      releaseId: 'svc-5',
      evidence: { score: 100 },
    };
    await ledger.switchServiceMode(promote);
    expect(await ledger.getServiceMode('svc')).toEqual({
      service: 'svc',
      mode: 'deployment',
      since: '2026-11-10T00:00:00.000Z',
      reason: 'ready',
      releaseId: 'svc-5',
    });
    // A retried Record tries the same switch again: the mode is no longer `delivery`.
    await expect(ledger.switchServiceMode(promote)).rejects.toBeInstanceOf(LedgerConflictError);
    await ledger.switchServiceMode({
      ...promote,
      from: 'deployment',
      mode: 'delivery',
      since: '2026-11-11T00:00:00.000Z',
      releaseId: 'svc-6',
      reason: 'rolled back',
    });
    const history = await ledger.listModeSwitches('svc');
    expect(history.map((s) => [s.from, s.mode, s.releaseId])).toEqual([
      ['deployment', 'delivery', 'svc-6'],
      ['delivery', 'deployment', 'svc-5'],
    ]);
    expect(history[1]?.evidence).toEqual({ score: 100 });
  });
});

describe('Ledger attempts', () => {
  const failed = {
    status: 'failed' as const,
    stage: 'Test' as const,
    reason: 'flaky',
    endedAt: '2026-11-01T00:05:00.000Z',
  };
  const retry = (attempt: number) => ({
    attempt,
    startedAt: `2026-11-01T01:0${attempt}:00.000Z`,
    requestedBy: 'dana@example.com',
    reason: 'flaky test',
  });

  it('keeps the ended attempt with its stages and outcome, and opens the next one as running', async () => {
    const ledger = await dynamo.newLedger();
    await ledger.startRelease(release('r1', 'a', '2026-11-01T00:00:00.000Z'));
    await ledger.recordStage('r1', 'Test', {
      status: 'failed',
      startedAt: '2026-11-01T00:01:00.000Z',
      endedAt: '2026-11-01T00:05:00.000Z',
      durationMs: 240_000,
    });
    await ledger.updateRelease('r1', { deploymentId: 'd-1' });
    await ledger.finishRelease('r1', 'a', failed);

    const opened = await ledger.startAttempt('r1', retry(2));

    expect(opened).toMatchObject({
      releaseId: 'r1',
      attempt: 2,
      status: 'running',
      stages: {},
      startedAt: '2026-11-01T00:00:00.000Z', // the release's own start: lead time runs from the commit
      attemptStartedAt: '2026-11-01T01:02:00.000Z',
      retry: { requestedBy: 'dana@example.com', reason: 'flaky test' },
    });
    expect(opened.outcome).toBeUndefined();
    expect(opened.deploymentId).toBeUndefined();
    expect(opened.attempts).toEqual([
      {
        attempt: 1,
        startedAt: '2026-11-01T00:00:00.000Z',
        status: 'failed',
        stages: { Test: expect.objectContaining({ status: 'failed' }) },
        outcome: failed,
      },
    ]);
    expect(await ledger.getRelease('r1')).toEqual(opened);

    await ledger.finishRelease('r1', 'a', { ...failed, endedAt: '2026-11-01T01:09:00.000Z' });
    const third = await ledger.startAttempt('r1', retry(3));
    expect(third.attempts?.map((a) => [a.attempt, a.startedAt])).toEqual([
      [1, '2026-11-01T00:00:00.000Z'],
      [2, '2026-11-01T01:02:00.000Z'],
    ]);
    // Still one release: the service lists it once.
    expect((await ledger.listReleases('a')).map((r) => r.releaseId)).toEqual(['r1']);
  });

  it('refuses an attempt while the current one runs, one that skips a number, and the loser of two retries', async () => {
    const ledger = await dynamo.newLedger();
    await ledger.startRelease(release('r2', 'a', '2026-11-01T00:00:00.000Z'));
    await expect(ledger.startAttempt('r2', retry(2))).rejects.toThrow(LedgerConflictError);
    await ledger.finishRelease('r2', 'a', failed);
    await expect(ledger.startAttempt('r2', retry(3))).rejects.toThrow(/at attempt 1 \(failed\)/);

    const both = await Promise.allSettled([
      ledger.startAttempt('r2', retry(2)),
      ledger.startAttempt('r2', retry(2)),
    ]);

    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({
      reason: expect.any(LedgerConflictError),
    });
    expect((await ledger.getRelease('r2'))?.attempts).toHaveLength(1);
    await expect(ledger.startAttempt('nope', retry(2))).rejects.toThrow(/not in the ledger/);
  });
});

describe('Ledger cancellations', () => {
  const cancellation = {
    requestedBy: 'dana@example.com',
    reason: 'wrong commit',
    at: '2026-11-01T00:05:00.000Z',
    action: 'execution' as const,
  };

  it('marks a running release once; a second cancel and one of an ended release conflict and change nothing', async () => {
    const ledger = await dynamo.newLedger();
    await ledger.startRelease(release('c1', 'svc', '2026-11-01T00:00:00.000Z'));
    expect((await ledger.requestCancel('c1', cancellation)).cancellation).toEqual(cancellation);
    await expect(
      ledger.requestCancel('c1', { ...cancellation, requestedBy: 'eve@example.com' }),
    ).rejects.toThrow(LedgerConflictError);
    expect((await ledger.getRelease('c1'))?.cancellation?.requestedBy).toBe('dana@example.com');

    await ledger.startRelease(release('c2', 'svc', '2026-11-01T00:00:00.000Z'));
    await ledger.finishRelease('c2', 'svc', { status: 'failed', stage: 'Test', endedAt: cancellation.at });
    await expect(ledger.requestCancel('c2', cancellation)).rejects.toThrow(LedgerConflictError);
    expect((await ledger.getRelease('c2'))?.cancellation).toBeUndefined();
    await expect(ledger.requestCancel('nope', cancellation)).rejects.toThrow(LedgerConflictError);
  });

  it('drops the cancellation when a retry opens the next attempt (the ended attempt keeps its outcome)', async () => {
    const ledger = await dynamo.newLedger();
    await ledger.startRelease(release('c3', 'svc', '2026-11-01T00:00:00.000Z'));
    await ledger.requestCancel('c3', cancellation);
    const cancelled = {
      status: 'cancelled' as const,
      stage: 'Test' as const,
      reason: 'Cancelled by dana@example.com: wrong commit',
      endedAt: cancellation.at,
    };
    await ledger.finishRelease('c3', 'svc', cancelled);
    const next = await ledger.startAttempt('c3', {
      attempt: 2,
      startedAt: '2026-11-01T01:00:00.000Z',
      requestedBy: 'dana@example.com',
      reason: 'right commit now',
    });
    expect(next.cancellation).toBeUndefined();
    expect(next.status).toBe('running');
    expect(next.attempts?.[0]).toMatchObject({ attempt: 1, status: 'cancelled', outcome: cancelled });
  });
});
