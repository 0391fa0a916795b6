import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApprovalHttp, MAX_BODY_BYTES } from '../../../lambdas/approval-api/approval-api';
import type { ApprovalApiPorts } from '../../../lambdas/approval-api/http';
import { endPending } from '../../../lambdas/core/approval-decision';
import { approvalLink, formToken } from '../../../lambdas/core/approval-links';
import { slackApprovalMessage } from '../../../lambdas/core/slack';
import type { ApprovalRecord, Ledger } from '../../../lambdas/ledger/ledger';
import { LocalTaskBroker } from '../../../local/adapters/task-broker';
import { localSlack } from '../../../local/approval-runtime';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { signAsSlack } from '../../support/slack';
import { testTempDir } from '../../support/test-temp-dir';

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
    slack: localSlack(testTempDir('slack-'), undefined),
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

  it('refuses self-approval on the page, records each view with address and agent, and shows votes', async () => {
    const { approval } = await pendingApproval({ authors: ['alice@example.com'], required: 2 });
    const alice = linkFor(approval, 0);
    const refused = await post(alice, formBody(alice, approval.approvalId, 'approve'));
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('authored, committed or pushed a change in this release');
    expect((await ledger.getApproval(approval.approvalId))?.votes).toEqual({});

    const bob = linkFor(approval, 1);
    const view = await handleApprovalHttp(
      { method: 'GET', path: bob.path, query: bob.query, body: '', sourceIp: '10.1.2.3', userAgent: 'UA/1' },
      ports,
    );
    expect(view.statusCode).toBe(200);
    const waiting = await handleApprovalHttp(
      {
        method: 'POST',
        path: bob.path,
        query: new URLSearchParams(),
        body: formBody(bob, approval.approvalId, 'approve'),
        sourceIp: '10.1.2.3',
        userAgent: 'UA/1',
      },
      ports,
    );
    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('1 of 2 approvals');
    const again = await get(bob);
    expect(again.body).toContain('You voted: approved');
    expect(again.body).not.toContain('<form');
    expect(again.body).toMatch(/bob@example.com: approved at .* \(email\)/);
    const audit = await ledger.listAudit(approval.approvalId);
    expect(audit.filter((a) => a.kind === 'viewed')[0]).toMatchObject({
      actor: 'bob@example.com',
      channel: 'email',
      sourceIp: '10.1.2.3',
      userAgent: 'UA/1',
    });
    expect(audit.find((a) => a.kind === 'voted')).toMatchObject({ sourceIp: '10.1.2.3', userAgent: 'UA/1' });
  });

  it('shows a superseded request as superseded by the newer release, and refuses its POST', async () => {
    const { approval, resumed } = await pendingApproval();
    resumed.catch(() => undefined);
    await ledger.decideApproval(approval.approvalId, {
      status: 'superseded',
      decidedBy: 'sluice',
      decidedAt: now.toISOString(),
      supersededBy: 'greeter-newer123',
    });
    const link = linkFor(approval, 0);
    const page = await get(link);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('superseded');
    expect(page.body).toContain('greeter-newer123');
    expect((await post(link, formBody(link, approval.approvalId, 'approve'))).statusCode).toBe(410);
    expect((await ledger.getApproval(approval.approvalId))?.status).toBe('superseded');
  });
});

describe('Slack interactions', () => {
  const slackKey = async () => ports.slack.signingSecret();
  async function slackPost(
    payload: unknown,
    options: { timestamp?: number; sign?: boolean; tamper?: boolean; raw?: string } = {},
  ) {
    const body = options.raw ?? new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = String(options.timestamp ?? Math.floor(now.getTime() / 1000));
    const signature = signAsSlack(await slackKey(), timestamp, body);
    const headers: Record<string, string> =
      options.sign === false
        ? {}
        : {
            'x-slack-request-timestamp': timestamp,
            'x-slack-signature': options.tamper
              ? signature.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
              : signature,
          };
    return handleApprovalHttp(
      { method: 'POST', path: '/slack/interactions', query: new URLSearchParams(), body, headers },
      ports,
    );
  }
  const press = (approvalId: string, user: string, action = 'approve') => ({
    type: 'block_actions',
    user: { id: user },
    actions: [{ action_id: action, value: approvalId }],
  });

  it('takes a button press that echoes the message of a long commit list (Slack sends the message back)', async () => {
    const { approval, resumed } = await pendingApproval({ slackUsers: { U0BOB: 'bob@example.com' } });
    const details = Array.from(
      { length: 120 },
      (_, i) =>
        `Commit ${String(i).padStart(7, '0')}abcde by Zoë Ünal <zoe@example.com>: ✨ Überarbeitung der Preisberechnung für Bestellungen — 見積もり ${'é'.repeat(60)}`,
    );
    const message = slackApprovalMessage({ ...approval, details });
    const section = JSON.stringify(message.blocks?.[1]);
    expect(section).toContain('more on the approval page');
    // A block_actions payload as Slack sends it: the press, who and where, and the whole message echoed.
    const payload = {
      type: 'block_actions',
      user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0123ABCD' },
      api_app_id: 'A0123ABCD',
      token: 'verification-token-deprecated',
      container: {
        type: 'message',
        message_ts: '1772445600.000100',
        channel_id: 'C0123ABCD',
        is_ephemeral: false,
      },
      trigger_id: '1234567890123.1234567890123.0123456789abcdef0123456789abcdef',
      team: { id: 'T0123ABCD', domain: 'acme' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: 'C0123ABCD', name: 'releases' },
      message: {
        type: 'message',
        subtype: 'bot_message',
        ts: '1772445600.000100',
        bot_id: 'B0123ABCD',
        ...message,
      },
      state: { values: {} },
      response_url: 'https://hooks.slack.com/actions/T0123ABCD/1234567890123/abcdefghijklmnopqrstuvwx',
      actions: [
        {
          action_id: 'approve',
          block_id: 'sluice-approval',
          text: { type: 'plain_text', text: 'Approve', emoji: true },
          value: approval.approvalId,
          style: 'primary',
          type: 'button',
          action_ts: '1772445601.123456',
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const response = await slackPost(payload);
    expect(response.statusCode).toBe(200);
    await expect(resumed).resolves.toMatchObject({ decision: 'approved' });
  });

  it('decides as the approver the Slack user maps to', async () => {
    const { approval, resumed } = await pendingApproval({ slackUsers: { U0BOB: 'bob@example.com' } });
    const response = await slackPost(press(approval.approvalId, 'U0BOB'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).text).toContain('Approved by bob@example.com');
    await expect(resumed).resolves.toMatchObject({ decision: 'approved', decidedBy: 'bob@example.com' });
    const audit = await ledger.listAudit(approval.approvalId);
    expect(audit.find((a) => a.kind === 'voted')).toMatchObject({
      channel: 'slack',
      actor: 'bob@example.com',
    });
  });

  it('refuses a button press on a cancelled release (`sluice cancel`), saying who cancelled it and why', async () => {
    const { approval, resumed } = await pendingApproval({ slackUsers: { U0BOB: 'bob@example.com' } });
    const end = { status: 'cancelled' as const, reason: 'wrong commit', by: 'dana@example.com' };
    expect(await endPending(approval, end, ports)).toBe(true);
    await expect(resumed).rejects.toMatchObject({ name: 'ReleaseCancelled', message: 'wrong commit' });

    const response = await slackPost(press(approval.approvalId, 'U0BOB'));

    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body).text).toBe(
      'Refused: This release was cancelled by dana@example.com: wrong commit; it takes no more decisions.',
    );
    expect(await ledger.getApproval(approval.approvalId)).toMatchObject({
      status: 'cancelled',
      decidedBy: 'dana@example.com',
      votes: {},
    });
  });

  it('refuses bad signatures, stale timestamps, malformed payloads and unmapped users, changing nothing', async () => {
    const { approval } = await pendingApproval({ slackUsers: { U0BOB: 'bob@example.com' } });
    const good = press(approval.approvalId, 'U0BOB');
    const cases: [string, Promise<{ statusCode: number; body: string }>, number, RegExp][] = [
      ['tampered', slackPost(good, { tamper: true }), 401, /Invalid Slack signature/],
      ['unsigned', slackPost(good, { sign: false }), 401, /Missing Slack signature/],
      [
        'stale',
        slackPost(good, { timestamp: Math.floor(now.getTime() / 1000) - 301 }),
        401,
        /more than 5 minutes/,
      ],
      ['malformed', slackPost(undefined, { raw: 'payload=%7Bnot-json' }), 400, /Malformed Slack interaction/],
      ['wrong type', slackPost({ ...good, type: 'view_submission' }), 400, /Malformed/],
      ['unmapped user', slackPost(press(approval.approvalId, 'U0MALLORY')), 403, /not mapped to an approver/],
      // Names of Object.prototype are not users: no prototype lookup may answer for them.
      ['constructor', slackPost(press(approval.approvalId, 'constructor')), 403, /not mapped to an approver/],
      ['__proto__', slackPost(press(approval.approvalId, '__proto__')), 403, /not mapped to an approver/],
      ['toString', slackPost(press(approval.approvalId, 'toString')), 403, /not mapped to an approver/],
      ['unknown id', slackPost(press('nosuchapproval00', 'U0BOB')), 404, /no approval request/],
    ];
    for (const [name, pending, status, message] of cases) {
      const response = await pending;
      expect({ name, status: response.statusCode }).toEqual({ name, status });
      expect(JSON.parse(response.body).text).toMatch(message);
    }
    const stored = await ledger.getApproval(approval.approvalId);
    expect(stored?.status).toBe('pending');
    expect(stored?.votes).toEqual({});
  });
});
