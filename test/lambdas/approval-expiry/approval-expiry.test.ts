import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireApproval } from '../../../lambdas/approval-expiry/approval-expiry';
import type { ApprovalRecord, Ledger } from '../../../lambdas/ledger/ledger';
import { LocalTaskBroker } from '../../../local/adapters/task-broker';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let db: TestLedger;
let ledger: Ledger;
const broker = new LocalTaskBroker();
let now = new Date('2026-03-02T10:00:00Z');
const ports = () => ({ ledger, tasks: broker, clock: { now: () => now } });

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
});
afterAll(async () => db?.stop());

describe('expireApproval', () => {
  it('does nothing before the expiry, expires once at it, and fails the task with ApprovalExpired', async () => {
    const token = broker.mint();
    const approval: ApprovalRecord = {
      approvalId: 'expiry-000001',
      releaseId: 'greeter-1',
      service: 'greeter',
      approvers: ['alice@example.com', 'bob@example.com'],
      required: 2,
      status: 'pending',
      requestedAt: now.toISOString(),
      expiresAt: '2026-03-02T11:00:00.000Z',
      taskToken: token,
      details: [],
      votes: {},
    };
    await ledger.putApproval(approval);
    await ledger.castVote(approval.approvalId, 'alice@example.com', {
      decision: 'approved',
      at: now.toISOString(),
      channel: 'email',
    });
    const resumed = broker.wait(token);
    resumed.catch(() => undefined);
    expect(await expireApproval({ approvalId: approval.approvalId }, ports())).toBe('not-due');
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('pending');

    now = new Date('2026-03-02T11:00:00Z');
    expect(await expireApproval({ approvalId: approval.approvalId }, ports())).toBe('expired');
    await expect(resumed).rejects.toMatchObject({
      name: 'ApprovalExpired',
      message: 'No decision before 2026-03-02T11:00:00.000Z: 1 of 2 approvals (alice@example.com)',
    });
    expect(await expireApproval({ approvalId: approval.approvalId }, ports())).toBe('not-pending');
    expect(await expireApproval({ approvalId: 'nope-00000000' }, ports())).toBe('unknown');
    const audit = await ledger.listAudit(approval.approvalId);
    expect(audit).toMatchObject([{ kind: 'expired', actor: 'sluice', channel: 'system' }]);
  });
});
