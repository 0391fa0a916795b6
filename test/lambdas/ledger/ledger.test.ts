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
