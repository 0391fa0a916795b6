/**
 * Triggers against the real local runtime: pushes go through the local event bus (the template's rules) to the
 * same router handler that runs in AWS, which starts executions of the CDK-rendered state machine; releases land in DynamoDB Local.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushEvent, pushEventEntry } from '../../lambdas/core/push-routing';
import { signatureOf } from '../../lambdas/github-webhook/github-webhook';
import type { RouteOutcome } from '../../lambdas/router/router';
import { routeOutcomeOf } from '../../local/adapters/local-event-bus';
import { EXAMPLES_DIR } from '../../local/cli/overlays';
import type { LocalSluice } from '../../local/runtime';
import { commitFiles, git, newRepository } from '../support/git';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

let sluice: LocalSluice;
let root: string;
let shop: string;
let burst: string;
let shopBase: string;
let burstBase: string;

const deployment = (name: string, repository: string, localPath: string, path: string) => ({
  name,
  mode: 'deployment',
  source: { repository, branch: 'main', path, localPath },
  runtime: { entry: 'src/handler.ts' },
  deploy: { strategy: 'AllAtOnce' },
});

beforeAll(async () => {
  root = testTempDir('triggers-');
  shop = join(root, 'shop');
  burst = join(root, 'burst');
  // A monorepo with two services, and a repository whose service cannot build (its releases end quickly).
  shopBase = await newRepository(shop, {
    'services/api': join(EXAMPLES_DIR, 'checkout'),
    'services/web': join(EXAMPLES_DIR, 'checkout'),
  });
  burstBase = await newRepository(burst, { '.': join(EXAMPLES_DIR, 'greeter') });
  const catalogFile = join(root, 'sluice.catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        deployment('api', 'shop', shop, 'services/api'),
        deployment('web', 'shop', shop, 'services/web'),
        { ...deployment('burst', 'burst', burst, '.'), runtime: { entry: 'src/missing.ts' } },
        // A GitHub-hosted service; locally its source is the burst repository, so it ends at Build too.
        {
          ...deployment('octo', 'acme/octo', burst, '.'),
          source: { repository: 'acme/octo', provider: 'github', branch: 'main', localPath: burst },
          runtime: { entry: 'src/missing.ts' },
        },
      ],
    }),
  );
  sluice = await startLocalSluice({
    catalogFile,
    stateDir: join(root, 'state'),
    timeScale: 60,
    trafficPerSecond: 20,
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

const shopPush = (before: string, after: string, changedPaths?: string[]): PushEvent => ({
  source: 'local-git',
  repository: 'shop',
  branch: 'main',
  before,
  after,
  ...(changedPaths ? { changedPaths } : {}),
  pusher: 'eve',
});

describe('routing through the real router and runtime', () => {
  it('starts exactly one execution per affected service for 100 concurrent deliveries of the same push', async () => {
    const head = await commitFiles(
      shop,
      {
        'services/api/src/note.ts': 'export const a = 1;\n',
        'services/web/src/note.ts': 'export const w = 1;\n',
      },
      'Touch api and web',
    );
    const before = sluice.executions().size;
    // Half arrive as normalized pushes (GitHub-style, with paths), half as CodeCommit state changes (the router
    // asks git for the changed paths): at-least-once delivery from two directions at once.
    const deliveries = Array.from(
      { length: 100 },
      (_, i): Promise<RouteOutcome> =>
        i % 2 === 0
          ? sluice.bus.route(
              shopPush(shopBase, head, ['services/api/src/note.ts', 'services/web/src/note.ts']),
            )
          : sluice.bus
              .emit({
                version: '0',
                id: `codecommit-${i}`,
                'detail-type': 'CodeCommit Repository State Change',
                source: 'aws.codecommit',
                account: '000000000000',
                time: '2026-01-01T00:00:00Z',
                region: 'local',
                resources: ['arn:aws:codecommit:local:000000000000:shop'],
                detail: {
                  event: 'referenceUpdated',
                  repositoryName: 'shop',
                  referenceType: 'branch',
                  referenceName: 'main',
                  referenceFullName: 'refs/heads/main',
                  oldCommitId: shopBase,
                  commitId: head,
                },
              })
              .then((deliveries) => routeOutcomeOf(deliveries, 'no rule matched')),
    );
    const outcomes = await Promise.all(deliveries);
    const all = outcomes.flatMap((o) => o.releases);
    expect(all).toHaveLength(200);
    const started = all
      .filter((r) => r.status === 'started')
      .map((r) => r.releaseId)
      .sort();
    expect(started).toEqual([`api-${head.slice(0, 12)}`, `web-${head.slice(0, 12)}`]);
    expect(sluice.executions().size - before).toBe(2);

    const reports = await Promise.all(started.map((id) => sluice.executions().get(id)!.done));
    expect(reports.map((r) => [r.service, r.status])).toEqual([
      ['api', 'succeeded'],
      ['web', 'succeeded'],
    ]);
    for (const service of ['api', 'web']) {
      const releases = await sluice.ledger.listReleases(service);
      expect(releases.map((r) => r.releaseId)).toEqual([`${service}-${head.slice(0, 12)}`]);
      // Every commit since the last production release (none yet) that touched the service's folder.
      expect(releases[0]?.commits?.map((c) => c.message)).toEqual(['Touch api and web', 'Initial commit']);
      expect(releases[0]?.trigger.source).toMatch(/^(local-git|codecommit)$/);
    }
  }, 180_000);

  it('starts one release for a push touching one service, and none for a push touching neither', async () => {
    // api is live (the test above released it; run alone, this one releases the current head first).
    if (!(await sluice.ledger.getServiceState('api'))?.liveCommit)
      expect((await (await sluice.release({ service: 'api' })).done).status).toBe('succeeded');
    const apiLive = (await sluice.ledger.getServiceState('api'))?.liveCommit;
    const prev = await git(shop, ['rev-parse', 'HEAD']);
    const docs = await commitFiles(shop, { 'docs/readme.md': '# shop\n' }, 'Docs only');
    const none = await sluice.bus.route(shopPush(prev, docs, ['docs/readme.md']));
    expect(none).toEqual({ releases: [], ignored: 'the push to shop main touches none of api, web' });

    const apiOnly = await commitFiles(
      shop,
      { 'services/api/src/note.ts': 'export const a = 2;\n' },
      'Api only',
    );
    // No paths in the event: the router asks the repository what changed between the two heads.
    const outcome = await sluice.bus.route(shopPush(docs, apiOnly));
    expect(outcome.releases).toEqual([
      { service: 'api', releaseId: `api-${apiOnly.slice(0, 12)}`, status: 'started' },
    ]);
    const report = await sluice.executions().get(`api-${apiOnly.slice(0, 12)}`)!.done;
    expect(report.status).toBe('succeeded');
    // Since the live release: only the commit that touched services/api ('Docs only' did not).
    expect(apiLive).toBeDefined();
    expect(report.record?.commits?.map((c) => c.message)).toEqual(['Api only']);
  }, 120_000);

  it('ignores an untracked branch and an unknown repository, saying why', async () => {
    const head = await git(shop, ['rev-parse', 'HEAD']);
    expect(await sluice.bus.route({ ...shopPush(head, head), branch: 'feature/x' })).toEqual({
      releases: [],
      ignored: 'branch feature/x of shop is not tracked by any service',
    });
    expect(await sluice.bus.route({ ...shopPush(head, head), repository: 'elsewhere' })).toEqual({
      releases: [],
      ignored: 'repository elsewhere (local-git) belongs to no service in the catalog',
    });
  });

  it('records each of 20 different pushes in quick succession, losing none', async () => {
    const heads: string[] = [];
    const routed: Promise<RouteOutcome>[] = [];
    let before = burstBase;
    for (let i = 1; i <= 20; i++) {
      const head = await commitFiles(burst, { 'src/count.ts': `export const n = ${i};\n` }, `Push ${i}`);
      heads.push(head);
      routed.push(
        sluice.bus.route({ source: 'local-git', repository: 'burst', branch: 'main', before, after: head }),
      );
      before = head;
    }
    const outcomes = await Promise.all(routed);
    expect(outcomes.map((o) => o.releases.map((r) => r.status))).toEqual(heads.map(() => ['started']));
    const ids = heads.map((h) => `burst-${h.slice(0, 12)}`);
    const reports = await Promise.all(ids.map((id) => sluice.executions().get(id)!.done));
    // Each release ran and ended where a service without its entry file ends: at Build, recorded.
    expect(reports.map((r) => `${r.status}@${r.endedAt}`)).toEqual(ids.map(() => 'failed@Build'));
    const recorded = await sluice.ledger.listReleases('burst', 100);
    expect(recorded.map((r) => r.releaseId).sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) {
      const record = recorded.find((r) => r.releaseId === id);
      expect(record?.commit.sha).toBe(heads[i]);
      expect(record?.commits?.[0]?.sha).toBe(heads[i]);
      expect(record?.commits).toHaveLength(i + 2); // its push, the ones before it, and the initial commit
    }
  }, 180_000);
});

describe('only the synthesized rules deliver', () => {
  const codeCommit = (detail: Record<string, unknown>) => ({
    version: '0' as const,
    id: 'e2e',
    'detail-type': 'CodeCommit Repository State Change',
    source: 'aws.codecommit',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'local',
    resources: ['arn:aws:codecommit:local:000000000000:burst'],
    detail: { repositoryName: 'burst', referenceType: 'branch', referenceName: 'main', ...detail },
  });

  it('a tag, a deleted branch and a push on the wrong bus reach no handler; the branch update starts the release', async () => {
    const previous = await git(burst, ['rev-parse', 'HEAD']);
    const head = await commitFiles(burst, { 'src/rules.ts': 'export const r = 1;\n' }, 'Rules only');
    const before = sluice.executions().size;

    const tag = codeCommit({
      event: 'referenceCreated',
      referenceType: 'tag',
      referenceName: 'v1',
      referenceFullName: 'refs/tags/v1',
      commitId: head,
    });
    const deleted = codeCommit({
      event: 'referenceDeleted',
      referenceFullName: 'refs/heads/main',
      oldCommitId: head,
    });
    expect(await sluice.bus.emit(tag)).toEqual([]);
    expect(await sluice.bus.emit(deleted)).toEqual([]);
    // A normalized push on the default bus: the push rule listens on the Sluice bus only.
    const [onDefault] = await sluice.bus.putEvents([
      pushEventEntry({
        source: 'local-git',
        repository: 'burst',
        branch: 'main',
        before: previous,
        after: head,
      }),
    ]);
    expect(onDefault?.deliveries).toEqual([]);
    expect(sluice.executions().size).toBe(before);

    const updated = codeCommit({
      event: 'referenceUpdated',
      referenceFullName: 'refs/heads/main',
      oldCommitId: previous,
      commitId: head,
    });
    const deliveries = await sluice.bus.emit(updated);
    expect(deliveries.map((d) => [d.rule, d.handler])).toEqual([
      [expect.stringMatching(/CodeCommitPush/), 'router'],
    ]);
    const releaseId = `burst-${head.slice(0, 12)}`;
    expect(routeOutcomeOf(deliveries, 'unmatched').releases).toEqual([
      { service: 'burst', releaseId, status: 'started' },
    ]);
    expect((await sluice.executions().get(releaseId)?.done)?.endedAt).toBe('Build');
  }, 60_000);
});

describe('the GitHub webhook over real HTTP', () => {
  it('verifies the signature, and a signed push reaches the router and starts the release', async () => {
    const head = await commitFiles(burst, { 'src/octo.ts': 'export const o = 1;\n' }, 'Octo change');
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: burstBase,
      after: head,
      repository: { full_name: 'acme/octo' },
      pusher: { name: 'octocat' },
      commits: [{ added: ['src/octo.ts'] }],
    });
    const url = `${sluice.web.url}/webhooks/github`;
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const unsigned = await post({ 'x-github-event': 'push' });
    expect(unsigned.status).toBe(401);
    expect(
      await post({ 'x-github-event': 'push', 'x-hub-signature-256': signatureOf('guess', body) }),
    ).toMatchObject({ status: 401 });
    expect(sluice.executions().has(`octo-${head.slice(0, 12)}`)).toBe(false);

    const secret = readFileSync(join(root, 'state', 'webhook-secret'), 'utf8').trim();
    const signed = { 'x-github-event': 'push', 'x-hub-signature-256': signatureOf(secret, body) };
    const accepted = await post(signed);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({
      message: 'push accepted',
      repository: 'acme/octo',
      after: head,
    });
    const again = await post(signed); // GitHub's redelivery
    expect(again.status).toBe(202);

    const run = await sluice.waitForExecution(`octo-${head.slice(0, 12)}`);
    const report = await run.done;
    expect(report.record?.trigger).toEqual({
      source: 'github',
      actor: 'octocat',
      actorIdentities: ['octocat'],
    });
    expect([...sluice.executions().keys()].filter((id) => id.startsWith('octo-'))).toEqual([run.releaseId]);
  }, 60_000);
});
