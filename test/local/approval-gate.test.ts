/**
 * The approval gate end to end through the local runtime: quorum across the page, Slack and the CLI; rejection;
 * supersede; expiry; a scheduled release time; the audit trail. Real DynamoDB Local, the CDK-rendered state
 * machine, real HTTP, a Slack receiver on 127.0.0.1 and the real `sluice` CLI in a child process.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../../lambdas/core/defined';
import { executionNameOf } from '../../lambdas/core/push-routing';
import { retryRelease } from '../../lambdas/core/retry';
import { decideViaPage } from '../../local/approve-via-page';
import { seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice } from '../../local/runtime';
import { PinnableClock } from '../support/clock';
import { commitFiles, git } from '../support/git';
import { startLocalSluice } from '../support/shared';
import { signAsSlack } from '../support/slack';
import { testTempDir } from '../support/test-temp-dir';

const REPO_ROOT = resolve(__dirname, '..', '..');

let sluice: LocalSluice;
const clock = new PinnableClock();
let root: string;
let repo: string;
let slack: Server;
let slackUrl = '';
const slackPosts: {
  path: string;
  body: { text: string; blocks?: { type: string; elements?: { value?: string }[] }[] };
}[] = [];

beforeAll(async () => {
  root = testTempDir('gate-');
  const reposDir = join(root, 'repos');
  repo = (await seedRepository(reposDir, 'greeter')).repo;
  slack = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      slackPosts.push({ path: req.url ?? '', body: JSON.parse(data) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
  const address = slack.address();
  slackUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const base = {
    mode: 'delivery',
    runtime: { entry: 'src/handler.ts' },
    deploy: { strategy: 'AllAtOnce' },
  };
  const catalogFile = join(root, 'sluice.catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        {
          ...base,
          name: 'greeter',
          source: { repository: 'greeter' },
          approval: {
            // dana@example.com authors the seeded commits.
            approvers: ['alice@example.com', 'bob@example.com', 'dana@example.com'],
            required: 2,
            channels: ['email', 'slack'],
            slackUserIds: { 'bob@example.com': 'U0BOB' },
          },
        },
        {
          ...base,
          name: 'hello',
          source: { repository: 'greeter' },
          approval: { approvers: ['alice@example.com'], expiresAfterHours: 1 },
        },
      ],
    }),
  );
  sluice = await startLocalSluice({
    catalogFile,
    stateDir: join(root, 'state'),
    reposDir,
    timeScale: 60,
    // 72 h last 216 s, 1 h lasts 3 s.
    approvalExpiryScale: 1200,
    slackWebhookUrl: `${slackUrl}/hook`,
    clock,
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
  await new Promise((r) => slack?.close(r));
});

async function commit(message: string): Promise<string> {
  return commitFiles(repo, { 'NOTES.md': `${message}\n${Date.now()}\n` }, message);
}

/** Every approver's link for a release, once its request has been sent. */
async function linksOf(releaseId: string, count = 0): Promise<Record<string, string>> {
  await sluice.waitForApprovalLink(releaseId);
  const service = releaseId.startsWith('hello') ? 'hello' : 'greeter';
  const expected =
    count || (sluice.catalog.services.find((s) => s.name === service)?.approval?.approvers.length ?? 1);
  const sentFor = () => sluice.outbox.sent.filter((s) => s.notification.release.releaseId === releaseId);
  // The request mails approvers one after another: wait for all of them.
  await eventually(() => sentFor().length >= expected || undefined);
  return Object.fromEntries(sentFor().map((s) => [s.notification.approver, s.notification.link]));
}
/**
 * Resolves with the first truthy value of `probe`, checked every 20 ms; gives up after 60 s, which only bounds a
 * hang (it returns as soon as the value is there).
 */
async function eventually<T>(probe: () => T | undefined): Promise<T | undefined> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const value = probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}
const idOf = (link: string) => new URL(link).pathname.split('/').pop() as string;

function cli(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sluice.js'), ...args, '--state-dir', join(root, 'state')],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          // A process that did not run or was killed says so here, for the assertion's message.
          stderr: error && typeof error.code !== 'number' ? `${stderr}${error.message}` : stderr,
        }),
    );
  });
}

async function slackPress(approvalId: string, user: string, action: 'approve' | 'reject') {
  const payload = {
    type: 'block_actions',
    user: { id: user },
    actions: [{ action_id: action, value: approvalId }],
    response_url: `${slackUrl}/response/${approvalId}`,
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const secret = await sluice.ports.slack.signingSecret();
  return fetch(`${sluice.web.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signAsSlack(secret, timestamp, body),
    },
    body,
  });
}

describe('the approval gate, end to end', () => {
  it('needs two approvals (page + Slack), refuses the author, and audits every step', async () => {
    const sha = await git(repo, ['rev-parse', 'HEAD']);
    const started = await sluice.release({ service: 'greeter', commit: sha });
    const links = await linksOf(started.releaseId);
    expect(Object.keys(links).sort()).toEqual(['alice@example.com', 'bob@example.com', 'dana@example.com']);
    const approvalId = idOf(defined(links['alice@example.com'], "links['alice@example.com']"));
    // Each email is readable in the outbox and names what is being approved.
    const mail = readFileSync(
      sluice.outbox.sent.find((s) => s.notification.approver === 'alice@example.com')!.file,
      'utf8',
    );
    expect(mail).toContain(`Release: ${started.releaseId}`);
    expect(mail).toMatch(/Commit: [0-9a-f]{12} by Dana Developer <dana@example.com>/);
    // One Slack post with Approve / Reject buttons for this approval id.
    const post = await eventually(() =>
      slackPosts.find((p) => p.path === '/hook' && p.body.text.includes(started.releaseId)),
    );
    const buttons = post?.body.blocks?.find((b) => b.type === 'actions')?.elements;
    expect(buttons?.map((b) => b.value)).toEqual([approvalId, approvalId]);

    // The author may not approve their own change.
    const self = await decideViaPage(defined(links['dana@example.com'], "links['dana@example.com']"), {
      decision: 'approve',
    });
    expect(self.status).toBe(403);
    // One approval of two: still waiting.
    const first = await decideViaPage(defined(links['alice@example.com'], "links['alice@example.com']"), {
      decision: 'approve',
      comment: 'lgtm',
    });
    expect(first.status).toBe(200);
    expect(first.body).toContain('1 of 2 approvals');
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('pending');
    // The second, from Slack, releases it; the Slack message is updated with the outcome.
    const pressed = await slackPress(approvalId, 'U0BOB', 'approve');
    expect(pressed.status).toBe(200);
    const report = await started.done;
    expect(report).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    // LoadService … Mode, RequestApproval, ApprovalDecision, ScheduledRelease, Deploy, Record, Outcome, Released.
    expect(report.transitions).toBe(12);
    expect(report.record?.stages.Approval?.detail).toBe('approved by alice@example.com, bob@example.com');
    const update = await eventually(() => slackPosts.find((p) => p.path === `/response/${approvalId}`));
    expect(update?.body.text).toMatch(/APPROVED\. Approved by alice@example.com, bob@example.com/);

    const audit = await sluice.ledger.listAudit(approvalId);
    const kinds = audit.map((a) => `${a.kind}:${a.channel}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'requested:system',
        'notified:email',
        'notified:slack',
        'viewed:email',
        'voted:email',
        'voted:slack',
        'decided:slack',
      ]),
    );
    expect(audit.filter((a) => a.kind === 'notified' && a.channel === 'email')).toHaveLength(3);
    const webVote = audit.find((a) => a.kind === 'voted' && a.channel === 'email');
    expect(webVote).toMatchObject({
      actor: 'alice@example.com',
      sourceIp: '127.0.0.1',
      userAgent: 'sluice-local-demo',
    });

    // The CLI lists it with both votes.
    const listed = await cli(['approvals', '--service', 'greeter']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `${approvalId}  greeter  ${started.releaseId}  approved by alice@example.com, bob@example.com  \\[2/2\\]`,
      ),
    );
  });

  it('ends the release when one approver rejects from the CLI; the CLI refuses outsiders and unknown ids', async () => {
    const sha = await commit('Reword the greeting');
    const started = await sluice.release({ service: 'greeter', commit: sha });
    const approvalId = idOf(
      defined(
        (await linksOf(started.releaseId))['alice@example.com'],
        "(await linksOf(started.releaseId))['alice@example.com']",
      ),
    );
    const outsider = await cli(['approve', approvalId, '--as', 'mallory@example.com']);
    expect(outsider.code, outsider.stderr).toBe(1);
    expect(outsider.stderr).toContain('refused (not-approver)');
    const unknown = await cli(['approve', 'nosuchapproval00', '--as', 'alice@example.com']);
    expect(unknown.code, unknown.stderr).toBe(1);
    expect(unknown.stderr).toContain('refused (unknown)');
    expect((await sluice.ledger.getApproval(approvalId))?.votes).toEqual({});

    const approved = await cli(['approve', approvalId, '--as', 'alice@example.com']);
    expect(approved.stdout).toContain('1 of 2 approvals');
    const rejected = await cli([
      'reject',
      approvalId,
      '--as',
      'bob@example.com',
      '--comment',
      'not during the sale',
    ]);
    expect(rejected.code).toBe(0);
    const report = await started.done;
    expect(report).toMatchObject({ status: 'rejected', endedAt: 'Approval' });
    expect(report.reason).toBe('Rejected by bob@example.com: not during the sale');
    const audit = await sluice.ledger.listAudit(approvalId);
    expect(audit.find((a) => a.kind === 'voted' && a.actor === 'bob@example.com')).toMatchObject({
      channel: 'cli',
      userAgent: 'sluice-cli',
    });
  });

  it('supersedes a pending request when a newer release of the service reaches the gate', async () => {
    const older = await sluice.release({ service: 'greeter', commit: await commit('Older change') });
    const olderLink = (await linksOf(older.releaseId))['alice@example.com'];
    const newer = await sluice.release({ service: 'greeter', commit: await commit('Newer change') });
    const newerLinks = await linksOf(newer.releaseId);
    const olderReport = await older.done;
    expect(olderReport).toMatchObject({ status: 'superseded', endedAt: 'Approval' });
    expect(olderReport.reason).toBe(`Superseded by release ${newer.releaseId}, which includes its changes`);
    const page = await fetch(defined(olderLink, 'olderLink'));
    expect(page.status).toBe(410);
    expect(await page.text()).toContain(newer.releaseId);
    expect(
      (
        await decideViaPage(defined(newerLinks['bob@example.com'], "newerLinks['bob@example.com']"), {
          decision: 'reject',
        })
      ).status,
    ).toBe(200);
    expect((await newer.done).status).toBe('rejected');
  });

  it('expires an undecided request: the release is recorded as expired and the link says so', async () => {
    const sha = await commit('Nobody looks at this one');
    const started = await sluice.release({ service: 'hello', commit: sha });
    const link = (await linksOf(started.releaseId))['alice@example.com'];
    const report = await started.done;
    expect(report).toMatchObject({ status: 'expired', endedAt: 'Approval' });
    expect(report.reason).toMatch(/^No decision before .*: 0 of 1 approvals$/);
    expect(report.record?.stages.Approval).toMatchObject({ status: 'failed' });
    const page = await fetch(defined(link, 'link'));
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    expect((await sluice.ledger.listAudit(idOf(defined(link, 'link')))).map((a) => a.kind)).toContain(
      'expired',
    );
  });

  it('retries an expired release: attempt 2 sends new links, which decide, and the old links still say expired', async () => {
    const started = await sluice.release({
      service: 'hello',
      commit: await commit('Nobody looked the first time'),
    });
    const { releaseId } = started;
    const sentFor = () => sluice.outbox.sent.filter((s) => s.notification.release.releaseId === releaseId);
    const oldLink = defined((await linksOf(releaseId))['alice@example.com'], 'the first link');
    expect(await started.done).toMatchObject({ status: 'expired', endedAt: 'Approval' });
    const mailed = sentFor().length;

    // The handlers' clock stands still until alice decides, so attempt 2's request cannot expire first.
    clock.pin();
    try {
      const next = await retryRelease(
        { releaseId, reason: 'alice was away', requestedBy: 'dana@example.com' },
        sluice.ports,
      );
      expect(next.attempt).toBe(2);
      const newLink = defined(
        await eventually(() => sentFor()[mailed]?.notification.link),
        'the link attempt 2 sent',
      );
      expect(sentFor()[mailed]?.notification.approver).toBe('alice@example.com');
      expect(idOf(newLink)).not.toBe(idOf(oldLink));

      const expiredPage = async () => {
        const page = await fetch(oldLink);
        return { status: page.status, text: await page.text() };
      };
      expect(await expiredPage()).toMatchObject({ status: 410, text: expect.stringContaining('expired') });
      expect((await decideViaPage(oldLink, { decision: 'approve' })).status).toBe(410);
      expect((await decideViaPage(newLink, { decision: 'approve' })).status).toBe(200);

      const second = await sluice.executions().get(executionNameOf(releaseId, 2))?.done;
      expect(second).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
      // The first request is as it ended, and its links still say so.
      expect(await sluice.ledger.getApproval(idOf(oldLink))).toMatchObject({ status: 'expired' });
      expect(await expiredPage()).toMatchObject({ status: 410, text: expect.stringContaining('expired') });
      const record = await sluice.ledger.getRelease(releaseId);
      expect(record?.attempts?.map((a) => [a.attempt, a.status])).toEqual([[1, 'expired']]);
    } finally {
      clock.unpin();
    }
  });

  it('holds an approved release until the release time the approvers set', async () => {
    const started = await sluice.release({
      service: 'greeter',
      commit: await commit('Ship it at a set time'),
    });
    const approvalId = idOf(
      defined(
        (await linksOf(started.releaseId))['alice@example.com'],
        "(await linksOf(started.releaseId))['alice@example.com']",
      ),
    );
    const held = sluice.waitForState(started.releaseId, 'ScheduledRelease');
    // Both votes are cast at a pinned moment, so the release time is ahead of the decision however long the
    // two CLI processes take.
    const decidedAt = clock.pin();
    const releaseAt = new Date(decidedAt.getTime() + 2000).toISOString();
    try {
      const first = await cli([
        'approve',
        approvalId,
        '--as',
        'alice@example.com',
        '--release-at',
        releaseAt,
      ]);
      expect(first.stdout, first.stderr).toContain('1 of 2 approvals');
      const second = await cli(['approve', approvalId, '--as', 'bob@example.com']);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(
        `The deploy waits until ${releaseAt} (release time ${releaseAt} requested)`,
      );
    } finally {
      clock.unpin();
    }
    // The Wait state is entered with the approvers' release time, and Deploy only comes after it.
    const wait = await held;
    expect(wait.input).toMatchObject({
      approval: { decision: 'approved', decidedAt: decidedAt.toISOString(), releaseAt },
    });
    const report = await started.done;
    expect(report.status).toBe('succeeded');
    expect(report.stages.map((s) => s.state).slice(-3)).toEqual(['RequestApproval', 'Deploy', 'Record']);
    expect(report.record?.stages.Approval?.detail).toBe(
      `approved by alice@example.com, bob@example.com; deploy held until ${releaseAt}: release time ${releaseAt} requested`,
    );
    expect(report.record?.stages.Deploy?.startedAt).toBe(releaseAt);
  });
});
