/** The one approval policy, against a real ledger (DynamoDB Local) and the local task broker. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, emailOf, endPending, parseReleaseAt } from '../../../lambdas/core/approval-decision';
import type { ApprovalRecord, Ledger } from '../../../lambdas/ledger/ledger';
import { LocalTaskBroker } from '../../../local/adapters/task-broker';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const now = new Date('2026-03-02T10:00:00Z'); // a Monday
let db: TestLedger;
let ledger: Ledger;
let broker: LocalTaskBroker;
let clock: { now: () => Date };
const ports = () => ({ ledger, tasks: broker, clock });

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
  broker = new LocalTaskBroker();
  clock = { now: () => now };
});
afterAll(async () => db?.stop());

let n = 0;
async function pending(overrides: Partial<ApprovalRecord> = {}) {
  const token = broker.mint();
  const approval: ApprovalRecord = {
    approvalId: `decision-${String(++n).padStart(6, '0')}`,
    releaseId: `greeter-${n}`,
    service: 'greeter',
    approvers: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
    required: 2,
    status: 'pending',
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    taskToken: token,
    details: [],
    authors: ['dana@example.com', 'carol@example.com'],
    ...overrides,
  };
  await ledger.putApproval(approval);
  const resumed = broker.wait(token);
  resumed.catch(() => undefined);
  return { approval, resumed, token };
}
const vote = (approvalId: string, approver: string, decision: 'approve' | 'reject', extra = {}) =>
  decide({ approvalId, approver, decision, channel: 'cli', ...extra }, ports());

describe('quorum', () => {
  it('waits after one of two approvals and proceeds after the second, naming both', async () => {
    const { approval, resumed } = await pending();
    const first = await vote(approval.approvalId, 'alice@example.com', 'approve', { comment: 'ok' });
    expect(first).toMatchObject({ ok: true, outcome: 'waiting' });
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('pending');
    const second = await vote(approval.approvalId, 'BOB@example.com', 'approve');
    expect(second).toMatchObject({ ok: true, outcome: 'approved' });
    await expect(resumed).resolves.toMatchObject({
      decision: 'approved',
      decidedBy: 'alice@example.com, bob@example.com',
      releaseAt: now.toISOString(),
    });
    const stored = await ledger.getApproval(approval.approvalId);
    expect(stored?.status).toBe('approved');
    expect(Object.keys(stored?.votes ?? {}).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    const audit = await ledger.listAudit(approval.approvalId);
    expect(audit.map((a) => a.kind)).toEqual(['voted', 'voted', 'decided']);
    expect(audit[0]).toMatchObject({ actor: 'alice@example.com', channel: 'cli' });
  });

  it('ends on any one rejection, even after an approval', async () => {
    const { approval, resumed } = await pending();
    await vote(approval.approvalId, 'alice@example.com', 'approve');
    const rejected = await vote(approval.approvalId, 'bob@example.com', 'reject', { comment: 'not today' });
    expect(rejected).toMatchObject({ ok: true, outcome: 'rejected' });
    await expect(resumed).resolves.toMatchObject({
      decision: 'rejected',
      decidedBy: 'bob@example.com',
      comment: 'not today',
    });
    expect(await vote(approval.approvalId, 'carol@example.com', 'reject')).toMatchObject({
      ok: false,
      code: 'decided',
    });
  });

  it('resumes the execution exactly once when the deciding votes race', async () => {
    const { approval, resumed } = await pending({ required: 1 });
    let resumes = 0;
    const succeed = broker.succeed.bind(broker);
    const counting = {
      succeed: async (t: string, o: unknown) => {
        resumes++;
        await succeed(t, o);
      },
      fail: broker.fail.bind(broker),
    };
    const results = await Promise.all(
      ['alice@example.com', 'bob@example.com'].map((who) =>
        decide(
          { approvalId: approval.approvalId, approver: who, decision: 'approve', channel: 'email' },
          { ledger, tasks: counting, clock },
        ),
      ),
    );
    expect(resumes).toBe(1);
    expect(results.filter((r) => r.ok && r.outcome === 'approved')).toHaveLength(1);
    await expect(resumed).resolves.toMatchObject({ decision: 'approved' });
  });
});

describe('refusals change nothing', () => {
  async function unchanged(approvalId: string, before: ApprovalRecord) {
    const after = await ledger.getApproval(approvalId);
    expect(after?.status).toBe(before.status);
    expect(after?.votes ?? {}).toEqual(before.votes ?? {});
  }

  it('refuses an approver outside the allow-list', async () => {
    const { approval } = await pending();
    const result = await vote(approval.approvalId, 'mallory@example.com', 'approve');
    expect(result).toMatchObject({ ok: false, code: 'not-approver' });
    expect(result.message).toContain('mallory@example.com is not an approver of greeter');
    await unchanged(approval.approvalId, approval);
  });

  it('refuses self-approval by an author of any included commit, but lets them reject', async () => {
    const { approval, resumed } = await pending();
    const result = await vote(approval.approvalId, 'carol@example.com', 'approve');
    expect(result).toMatchObject({ ok: false, code: 'self-approval' });
    expect(result.message).toContain(
      'authored, committed or pushed a change in this release (as carol@example.com)',
    );
    await unchanged(approval.approvalId, approval);
    expect(await vote(approval.approvalId, 'carol@example.com', 'reject')).toMatchObject({
      ok: true,
      outcome: 'rejected',
    });
    await expect(resumed).resolves.toMatchObject({ decision: 'rejected' });
  });

  it('refuses a replayed vote', async () => {
    const { approval } = await pending();
    await vote(approval.approvalId, 'alice@example.com', 'approve');
    const before = (await ledger.getApproval(approval.approvalId)) as ApprovalRecord;
    const replay = await vote(approval.approvalId, 'alice@example.com', 'approve');
    expect(replay).toMatchObject({ ok: false, code: 'already-voted' });
    await unchanged(approval.approvalId, before);
    expect(before.votes?.['alice@example.com']).toBeDefined();
  });

  it('refuses after the expiry time, and an unknown id', async () => {
    const { approval } = await pending({ expiresAt: new Date(now.getTime() - 1).toISOString() });
    expect(await vote(approval.approvalId, 'alice@example.com', 'approve')).toMatchObject({
      ok: false,
      code: 'expired',
    });
    await unchanged(approval.approvalId, approval);
    expect(await vote('no-such-approval-id', 'alice@example.com', 'approve')).toMatchObject({
      ok: false,
      code: 'unknown',
    });
  });

  it('refuses a release time that is not a time, or too far out', async () => {
    const { approval } = await pending();
    for (const releaseAt of ['tomorrow', '2026-05-01T10:00Z']) {
      expect(await vote(approval.approvalId, 'alice@example.com', 'approve', { releaseAt })).toMatchObject({
        ok: false,
        code: 'invalid-release-time',
      });
    }
    await unchanged(approval.approvalId, approval);
  });
});

describe('expiry and supersede', () => {
  it('fails the task with ApprovalExpired once, and every later vote hears it expired', async () => {
    const { approval, resumed } = await pending();
    const end = { status: 'expired' as const, reason: 'No decision' };
    expect(await endPending(approval, end, ports())).toBe(true);
    expect(await endPending(approval, end, ports())).toBe(false);
    await expect(resumed).rejects.toMatchObject({ name: 'ApprovalExpired', message: 'No decision' });
    const late = await vote(approval.approvalId, 'alice@example.com', 'approve');
    expect(late).toMatchObject({ ok: false, code: 'expired' });
  });

  it('says which release superseded it', async () => {
    const { approval, resumed } = await pending();
    await endPending(
      approval,
      { status: 'superseded', reason: 'newer', supersededBy: 'greeter-new' },
      ports(),
    );
    await expect(resumed).rejects.toMatchObject({ name: 'ApprovalSuperseded' });
    const late = await vote(approval.approvalId, 'alice@example.com', 'approve');
    expect(late).toMatchObject({ ok: false, code: 'superseded' });
    expect(late.message).toContain('greeter-new');
  });
});

describe('release time', () => {
  it('holds an approved release until the requested time, moved into the window and past a freeze', async () => {
    const { approval, resumed } = await pending({
      required: 1,
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu'], start: '09:00', end: '16:00', timeZone: 'Europe/Berlin' },
      ],
      freezes: [{ from: '2026-03-02T15:00:00Z', to: '2026-03-03T09:00:00Z', reason: 'board meeting' }],
    });
    // Asked for Monday 15:30 UTC (16:30 Berlin): inside the freeze (15:00 UTC to Tuesday 09:00 UTC); Tuesday
    // 09:00 UTC is 10:00 Berlin, inside the window.
    await vote(approval.approvalId, 'alice@example.com', 'approve', { releaseAt: '2026-03-02T15:30' });
    const result = (await resumed) as { releaseAt: string; holdReason: string };
    expect(result.releaseAt).toBe('2026-03-03T09:00:00.000Z');
    expect(result.holdReason).toContain('release time 2026-03-02T15:30:00.000Z requested');
    expect(result.holdReason).toContain('board meeting');
    expect((await ledger.getApproval(approval.approvalId))?.holdReason).toBe(result.holdReason);
  });

  it('parses zone-less times as UTC and names a bad one', () => {
    expect(parseReleaseAt('2026-03-02T12:00', now)).toEqual(new Date('2026-03-02T12:00:00Z'));
    expect(parseReleaseAt('2026-03-02T12:00+01:00', now)).toEqual(new Date('2026-03-02T11:00:00Z'));
    expect(parseReleaseAt('soon', now)).toMatch(/"soon" is not a date and time/);
  });

  it.each([
    '2026-02-30T10:00',
    '2026-02-29T10:00Z',
    '2026-04-31T10:00',
    '2026-03-02T24:00',
    '2026-03-02T12:60',
    '2026-03-02T12:00:60Z',
    '2026-13-01T12:00',
    '2026-03-02T12:00+24:00',
  ])('refuses the impossible time %s instead of rolling it over', (text) => {
    expect(parseReleaseAt(text, now)).toMatch(/is not a date and time that exists/);
  });

  it('reads the email out of a commit author', () => {
    expect(emailOf('Dana Scully <Dana@Example.com>')).toBe('dana@example.com');
    expect(emailOf('eve@example.com')).toBe('eve@example.com');
  });
});

describe('identities: no self-approval by anyone who made the changes', () => {
  const identities = {
    'alice@example.com': [
      'alice@example.com',
      'alice@users.noreply.github.com',
      'alice-gh',
      'arn:aws:iam::111122223333:user/alice',
    ],
    'bob@example.com': ['bob@example.com'],
    'carol@example.com': ['carol@example.com'],
  };
  it.each([
    ['committed it', 'alice@users.noreply.github.com'],
    ['pushed it on GitHub', 'alice-gh'],
    ['pushed it to CodeCommit', 'arn:aws:iam::111122223333:user/alice'],
  ])('refuses an approver who %s, under another identity than the approver email', async (_how, identity) => {
    const { approval } = await pending({
      authors: ['dana@example.com'],
      changeIdentities: ['dana@example.com', identity],
      approverIdentities: identities,
    });
    const result = await vote(approval.approvalId, 'alice@example.com', 'approve');
    expect(result).toMatchObject({ ok: false, code: 'self-approval' });
    expect(result.message).toBe(
      `alice@example.com authored, committed or pushed a change in this release (as ${identity}) and cannot approve it; another approver must.`,
    );
    expect((await ledger.getApproval(approval.approvalId))?.votes ?? {}).toEqual({});
    expect(await vote(approval.approvalId, 'bob@example.com', 'approve')).toMatchObject({ ok: true });
  });
});

describe('a vote that loses a race', () => {
  it('is told it came too late and is kept as not counted, when the other vote closed the request first', async () => {
    const { approval, resumed } = await pending({ required: 1 });
    // Bob's rejection is stored while the request is pending; Alice's approval closes it before Bob's close.
    const racing: Ledger = Object.create(ledger);
    racing.decideApproval = async (...args) => {
      await vote(approval.approvalId, 'alice@example.com', 'approve');
      return ledger.decideApproval(...args);
    };
    const lost = await decide(
      { approvalId: approval.approvalId, approver: 'bob@example.com', decision: 'reject', channel: 'cli' },
      { ledger: racing, tasks: broker, clock },
    );
    expect(lost).toMatchObject({ ok: false, code: 'decided' });
    expect(lost.message).toBe(
      'Your rejection came too late: the request was approved by alice@example.com first. It was not counted; nothing changed.',
    );
    await expect(resumed).resolves.toMatchObject({ decision: 'approved', decidedBy: 'alice@example.com' });
    const stored = await ledger.getApproval(approval.approvalId);
    expect(stored?.status).toBe('approved');
    expect(stored?.votes?.['bob@example.com']).toMatchObject({
      decision: 'rejected',
      notCounted: 'the request was approved by alice@example.com first',
    });
    const audit = await ledger.listAudit(approval.approvalId);
    expect(audit.filter((a) => a.actor === 'bob@example.com').map((a) => a.detail)).toContain(
      'rejected not counted: the request was approved by alice@example.com first',
    );
  });
});
