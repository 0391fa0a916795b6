/** RequestApproval against a real ledger: links, notifications, expiry schedule, supersede, batch of commits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitInfo } from '../../../lambdas/core/model';
import type { ApprovalNotification, SlackMessage } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import {
  approvalDetails,
  type RequestApprovalInput,
  type RequestApprovalPorts,
  requestApproval,
} from '../../../lambdas/request-approval/request-approval';
import { LocalTaskBroker } from '../../../local/adapters/task-broker';
import { service } from '../../lib/fixtures';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const now = new Date('2026-03-02T10:00:00Z');
let db: TestLedger;
let ledger: Ledger;
const broker = new LocalTaskBroker();
const mails: ApprovalNotification[] = [];
const slackPosts: SlackMessage[] = [];
const schedules: { approvalId: string; at: Date }[] = [];
let ports: RequestApprovalPorts;

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
  ports = {
    ledger,
    tasks: broker,
    clock: { now: () => now },
    notifier: { notify: async (n) => void mails.push(n) },
    signingKeys: { signingKey: async () => Buffer.alloc(32, 7) },
    approvalBaseUrl: 'https://approve.example.com/',
    expiryScheduler: { schedule: async (approvalId, at) => void schedules.push({ approvalId, at }) },
    slack: {
      post: async (m) => {
        slackPosts.push(m);
        return true;
      },
      respond: async () => undefined,
      signingSecret: async () => Buffer.alloc(8),
    },
    approvalExpiryScale: 1,
  };
});
afterAll(async () => db?.stop());

const commit = (sha: string, author: string, message: string): CommitInfo => ({
  sha: sha.repeat(40).slice(0, 40),
  author,
  message,
  time: now.toISOString(),
});

function input(releaseId: string, commits?: CommitInfo[]): RequestApprovalInput & { taskToken: string } {
  const config = service('greeter', {
    mode: 'delivery',
    approval: {
      approvers: ['alice@example.com', 'bob@example.com'],
      required: 2,
      expiresAfterHours: 72,
      channels: ['email', 'slack'],
      slackUserIds: { 'bob@example.com': 'U0BOB' },
    },
  });
  const head = commits?.[0] ?? commit('a', 'Dana <dana@example.com>', 'Change');
  return {
    taskToken: broker.mint(),
    releaseId,
    config,
    release: {
      releaseId,
      service: 'greeter',
      mode: 'delivery',
      commit: head,
      ...(commits ? { commits } : {}),
      startedAt: now.toISOString(),
      trigger: { source: 'manual' },
    },
    build: { artifactKey: 'k', sha256: 'f'.repeat(64), bytes: 1000, durationMs: 1 },
    test: { passed: 3, failed: 0, durationMs: 1 },
    stage: { version: '7', smoke: { status: 200, latencyMs: 12 } },
  };
}

describe('requestApproval', () => {
  it('stores the token under a random id, mails each approver their own link, posts once to Slack, schedules the expiry', async () => {
    const first = input('greeter-aaaaaaaaaaaa');
    const waiting = broker.wait(first.taskToken);
    waiting.catch(() => undefined);
    const { approvalId } = await requestApproval(first, ports);
    const stored = await ledger.getApproval(approvalId);
    expect(stored).toMatchObject({
      status: 'pending',
      required: 2,
      taskToken: first.taskToken,
      expiresAt: '2026-03-05T10:00:00.000Z',
      authors: ['dana@example.com'],
      slackUsers: { U0BOB: 'bob@example.com' },
    });
    expect(mails.map((m) => m.approver)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(new Set(mails.map((m) => m.link)).size).toBe(2);
    for (const mail of mails) expect(mail.link).not.toContain(first.taskToken);
    expect(slackPosts).toHaveLength(1);
    expect(JSON.stringify(slackPosts[0])).toContain(approvalId);
    expect(JSON.stringify(slackPosts[0])).not.toContain(first.taskToken);
    expect(schedules).toEqual([{ approvalId, at: new Date('2026-03-05T10:00:00.000Z') }]);
    const audit = await ledger.listAudit(approvalId);
    expect(audit.map((a) => `${a.kind}:${a.channel}`)).toEqual([
      'requested:system',
      'notified:email',
      'notified:email',
      'notified:slack',
    ]);
  });

  it('supersedes the pending request of an older release and lists every commit since the last release', async () => {
    const older = input('greeter-bbbbbbbbbbbb');
    const olderResumed = broker.wait(older.taskToken);
    olderResumed.catch(() => undefined);
    const { approvalId: olderId } = await requestApproval(older, ports);

    const commits = [
      commit('c', 'Eve <eve@example.com>', 'Second change\n\nbody'),
      commit('b', 'Dana <dana@example.com>', 'First change'),
    ];
    const newer = input('greeter-cccccccccccc', commits);
    broker.wait(newer.taskToken).catch(() => undefined);
    const { approvalId } = await requestApproval(newer, ports);

    await expect(olderResumed).rejects.toMatchObject({
      name: 'ApprovalSuperseded',
      message: 'Superseded by release greeter-cccccccccccc, which includes its changes',
    });
    expect(await ledger.getApproval(olderId)).toMatchObject({
      status: 'superseded',
      supersededBy: 'greeter-cccccccccccc',
    });
    const stored = await ledger.getApproval(approvalId);
    expect(stored?.authors).toEqual(['eve@example.com', 'dana@example.com']);
    expect(stored?.details).toEqual(
      expect.arrayContaining([
        'Changes since the last production release: 2 commits',
        `Commit: ${'c'.repeat(12)} by Eve <eve@example.com>: Second change`,
        `Commit: ${'b'.repeat(12)} by Dana <dana@example.com>: First change`,
      ]),
    );
  });

  it("keeps who made the changes (authors, committers, the pusher of each included push) and each approver's identities", async () => {
    const own = await db.newLedger();
    // An earlier release of the service brought commit b, pushed by octo-bob; it never reached production.
    await own.startRelease({
      releaseId: 'greeter-bbbbbbbbbbbb',
      service: 'greeter',
      mode: 'delivery',
      commit: commit('b', 'Dana <dana@example.com>', 'First change'),
      startedAt: now.toISOString(),
      trigger: { source: 'github', actor: 'octo-bob' },
    });
    const commits = [
      { ...commit('c', 'Eve <eve@example.com>', 'Second change'), committer: 'GitHub <noreply@github.com>' },
      commit('b', 'Dana <dana@example.com>', 'First change'),
    ];
    const request = input('greeter-cccccccccccc', commits);
    const withIdentities = {
      ...request,
      release: {
        ...request.release,
        trigger: {
          source: 'github' as const,
          actor: 'Octo-Alice',
          actorIdentities: ['Octo-Alice', 'alice@users.noreply.github.com'],
        },
      },
      config: {
        ...request.config,
        approval: {
          ...request.config.approval!,
          identities: {
            'alice@example.com': {
              githubLogins: ['octo-alice'],
              gitEmails: ['alice@users.noreply.github.com'],
            },
          },
        },
      },
    };
    broker.wait(request.taskToken).catch(() => undefined);
    const { approvalId } = await requestApproval(withIdentities, { ...ports, ledger: own });
    const stored = await own.getApproval(approvalId);
    expect(stored?.changeIdentities).toEqual([
      'eve@example.com',
      'noreply@github.com',
      'dana@example.com',
      'octo-alice',
      'alice@users.noreply.github.com',
      'octo-bob',
    ]);
    expect(stored?.approverIdentities).toEqual({
      'alice@example.com': ['alice@example.com', 'alice@users.noreply.github.com', 'octo-alice'],
      'bob@example.com': ['bob@example.com'],
    });
  });

  it('gives ids a command line can take: never a leading "-" (sluice approve would read it as an option)', async () => {
    const ids: string[] = [];
    const own = { ...ports, ledger: await db.newLedger() };
    // 100 ids: before the fix, one in 32 began with "-" or "_" (a 96% chance to see one here).
    for (let i = 0; i < 100; i++) {
      const request = input(`greeter-ids${i}`);
      broker.wait(request.taskToken).catch(() => undefined);
      ids.push((await requestApproval(request, own)).approvalId);
    }
    expect(ids.filter((id) => !/^[A-Za-z0-9][A-Za-z0-9_-]{9,63}$/.test(id))).toEqual([]);
  });

  it('closes the request of an earlier attempt of the same task (retried), whose token is dead', async () => {
    const first = input('greeter-eeeeeeeeeeee');
    const { approvalId: firstId } = await requestApproval(first, ports); // no waiter: the token is dead
    const retry = { ...input('greeter-eeeeeeeeeeee'), taskToken: broker.mint() };
    broker.wait(retry.taskToken).catch(() => undefined);
    const { approvalId } = await requestApproval(retry, ports);
    expect((await ledger.getApproval(firstId))?.status).toBe('superseded');
    expect((await ledger.getApproval(approvalId))?.status).toBe('pending');
  });

  it('compresses expiry by the time scale (the local runtime)', async () => {
    const { approvalId } = await requestApproval(input('greeter-dddddddddddd'), {
      ...ports,
      approvalExpiryScale: 3600,
    });
    // 72 h / 3600 = 72 s
    expect((await ledger.getApproval(approvalId))?.expiresAt).toBe('2026-03-02T10:01:12.000Z');
  });
});

describe('approvalDetails: dependencies', () => {
  it('shows what changed in the bundled npm packages since the live release, with licences, and that audit did not run (a record from before the audit ran)', () => {
    const base = input('greeter-dddddddddddd');
    const details = approvalDetails({
      ...base,
      build: {
        ...base.build,
        dependencies: {
          comparedWithLive: true,
          packages: 3,
          added: ['zod@3.23.8 (MIT)'],
          changed: ['dayjs 1.11.10 → 1.11.13 (MIT)'],
          removed: [],
          sbomKey: 'releases/greeter/greeter-dddddddddddd/sbom.cdx.json',
          audit: 'not run',
        },
      },
    });
    expect(details.slice(-3)).toEqual([
      'Dependencies: 3 npm packages bundled, 2 changes since the live release; npm audit not run',
      'Dependency added zod@3.23.8 (MIT)',
      'Dependency changed dayjs 1.11.10 → 1.11.13 (MIT)',
    ]);
    expect(approvalDetails(base).some((line) => line.startsWith('Dependenc'))).toBe(false);
  });

  it('shows the npm audit: the advisories it found, or why it did not run', () => {
    const base = input('greeter-dddddddddddd');
    const dependencies = {
      comparedWithLive: true,
      packages: 1,
      added: [],
      changed: [],
      removed: [],
      sbomKey: 'releases/greeter/greeter-dddddddddddd/sbom.cdx.json',
    };
    const found = approvalDetails({
      ...base,
      build: {
        ...base.build,
        dependencies: {
          ...dependencies,
          audit: {
            status: 'found',
            counts: { high: 1 },
            advisories: [
              {
                package: 'dayjs',
                versions: ['1.11.10'],
                severity: 'high',
                title: 'Bad parse',
                url: 'https://github.com/advisories/GHSA-test',
                range: '<1.11.13',
                fix: 'upgrade dayjs to 1.11.13',
              },
            ],
          },
        },
      },
    });
    expect(found.slice(-2)).toEqual([
      'Dependencies: 1 npm package bundled, 0 changes since the live release; npm audit: 1 advisory (1 high)',
      'Advisory dayjs@1.11.10 (high): Bad parse, https://github.com/advisories/GHSA-test (vulnerable <1.11.13); fix: upgrade dayjs to 1.11.13',
    ]);
    const notRun = approvalDetails({
      ...base,
      build: {
        ...base.build,
        dependencies: {
          ...dependencies,
          audit: { status: 'not run', reason: 'the registry has no audit endpoint (404)' },
        },
      },
    });
    expect(notRun.slice(-1)).toEqual([
      'Dependencies: 1 npm package bundled, 0 changes since the live release; npm audit not run: the registry has no audit endpoint (404)',
    ]);
  });
});
