import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApprovalApiPorts,
  handleApprovalHttp,
  MAX_BODY_BYTES,
} from '../../../lambdas/approval-api/approval-api';
import { approvalLink, formToken } from '../../../lambdas/shared/approval-links';
import type { ApprovalRecord, Ledger } from '../../../lambdas/shared/ledger';
import { LocalTaskBroker } from '../../../local/adapters/task-broker';
import { localSlack } from '../../../local/approval-gate';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const now = new Date('2026-03-01T10:00:00Z');
const expiresAt = new Date(now.getTime() + 3_600_000);

let db: TestLedger;
let ledger: Ledger;
let broker: LocalTaskBroker;
let ports: ApprovalApiPorts;

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
  broker = new LocalTaskBroker();
  ports = {
    ledger,
    tasks: broker,
    signingKeys: { signingKey: async () => key },
    clock: { now: () => now },
    slack: localSlack(mkdtempSync(join(tmpdir(), 'sluice-slack-')), undefined),
  };
});
afterAll(async () => db?.stop());

let counter = 0;
async function pendingApproval(
  overrides: Partial<ApprovalRecord> = {},
): Promise<{ approval: ApprovalRecord; token: string; resumed: Promise<unknown> }> {
  const token = broker.mint();
  const approval: ApprovalRecord = {
    approvalId: `approval-${String(++counter).padStart(6, '0')}`,
    releaseId: `greeter-${counter}`,
    service: 'greeter',
    approvers: ['alice@example.com', 'bob@example.com'],
    required: 1,
    status: 'pending',
    requestedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    taskToken: token,
    details: ['Commit: abc by Dana <dana@example.com>: <b>bold</b> change'],
    ...overrides,
  };
  await ledger.putApproval(approval);
  return { approval, token, resumed: broker.wait(token) };
}

function linkFor(
  approval: ApprovalRecord,
  approverIndex: number,
  exp = Math.floor(expiresAt.getTime() / 1000),
) {
  const url = new URL(
    approvalLink('http://127.0.0.1:1', key, {
      approvalId: approval.approvalId,
      approverIndex,
      expiresAt: exp,
    }),
  );
  return { path: url.pathname, query: url.searchParams };
}

const get = (link: { path: string; query: URLSearchParams }) =>
  handleApprovalHttp({ method: 'GET', path: link.path, query: link.query, body: '' }, ports);

function formBody(
  link: { query: URLSearchParams },
  approvalId: string,
  decision: string,
  extra: Record<string, string> = {},
) {
  const claims = {
    approvalId,
    approverIndex: Number(link.query.get('a')),
    expiresAt: Number(link.query.get('exp')),
  };
  return new URLSearchParams({
    a: link.query.get('a') ?? '',
    exp: link.query.get('exp') ?? '',
    sig: link.query.get('sig') ?? '',
    csrf: formToken(key, claims),
    decision,
    ...extra,
  }).toString();
}

const post = (link: { path: string }, body: string) =>
  handleApprovalHttp({ method: 'POST', path: link.path, query: new URLSearchParams(), body }, ports);

describe('approval API', () => {
  it('GET shows what is being approved, escaped, and changes nothing', async () => {
    const { approval } = await pendingApproval();
    const page = await get(linkFor(approval, 1));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('bob@example.com');
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(page.body).toContain('<form method="post"');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    await get(linkFor(approval, 1));
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('pending');
    expect(broker.pending).toBeGreaterThan(0);
  });

  it('POST from the page approves once, as the approver the link belongs to, and resumes the execution', async () => {
    const { approval, resumed } = await pendingApproval();
    const link = linkFor(approval, 0);
    const response = await post(link, formBody(link, approval.approvalId, 'approve', { comment: 'ship it' }));
    expect(response.statusCode).toBe(200);
    await expect(resumed).resolves.toMatchObject({
      decision: 'approved',
      decidedBy: 'alice@example.com',
      comment: 'ship it',
    });
    expect(await ledger.getApproval(approval.approvalId)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice@example.com',
    });

    const replay = await post(link, formBody(link, approval.approvalId, 'reject'));
    expect(replay.statusCode).toBe(409);
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('approved');
  });

  it('POST reject resumes the execution with a rejection', async () => {
    const { approval, resumed } = await pendingApproval();
    const link = linkFor(approval, 1);
    expect(
      (await post(link, formBody(link, approval.approvalId, 'reject', { comment: 'no' }))).statusCode,
    ).toBe(200);
    await expect(resumed).resolves.toMatchObject({ decision: 'rejected', decidedBy: 'bob@example.com' });
  });

  it('refuses tampered links, forged forms, bad decisions, unknown ids, expiry and oversize bodies, changing nothing', async () => {
    const { approval } = await pendingApproval();
    const link = linkFor(approval, 0);
    const tampered = { path: link.path, query: new URLSearchParams(link.query) };
    tampered.query.set('a', '1'); // another approver's identity with this approver's signature
    expect((await get(tampered)).statusCode).toBe(403);
    const missing = {
      path: link.path,
      query: new URLSearchParams({ a: '0', exp: link.query.get('exp') ?? '' }),
    };
    expect((await get(missing)).statusCode).toBe(403);
    expect((await get({ path: link.path, query: new URLSearchParams() })).statusCode).toBe(400);

    const forged = formBody(link, approval.approvalId, 'approve').replace(/csrf=[^&]+/, 'csrf=AAAA');
    expect((await post(link, forged)).statusCode).toBe(403);
    expect((await post(link, formBody(link, approval.approvalId, 'maybe'))).statusCode).toBe(400);
    expect(
      (
        await post(
          link,
          `${formBody(link, approval.approvalId, 'approve')}&pad=${'x'.repeat(MAX_BODY_BYTES)}`,
        )
      ).statusCode,
    ).toBe(413);

    const unknown = linkFor({ ...approval, approvalId: 'nosuchapproval00' }, 0);
    expect((await get(unknown)).statusCode).toBe(404);
    expect((await get({ path: '/elsewhere', query: new URLSearchParams() })).statusCode).toBe(404);
    expect(
      (await handleApprovalHttp({ method: 'PUT', path: link.path, query: link.query, body: '' }, ports))
        .statusCode,
    ).toBe(405);

    const expiredLink = linkFor(approval, 0, Math.floor(now.getTime() / 1000) - 1);
    expect((await get(expiredLink)).statusCode).toBe(410);
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('pending');
  });

  it('shows an expired request as expired even with a fresh link', async () => {
    const { approval } = await pendingApproval({ expiresAt: new Date(now.getTime() - 1000).toISOString() });
    const link = linkFor(approval, 0);
    expect((await get(link)).statusCode).toBe(410);
    expect((await post(link, formBody(link, approval.approvalId, 'approve'))).statusCode).toBe(410);
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('pending');
  });
});
