import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import type { CommitInfo, ReleaseTrigger } from '../../../lambdas/core/model';
import type { SourceRepository } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { loadService, parseReleaseRequest } from '../../../lambdas/load-service/load-service';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

describe('parseReleaseRequest', () => {
  it('accepts a well-formed request', () => {
    const request = {
      releaseId: 'greeter-0123456789ab',
      service: 'greeter',
      commit: '0123456789ab',
      trigger: { source: 'manual' },
    };
    expect(parseReleaseRequest(request)).toEqual(request);
  });

  it('names every bad field with the value received', () => {
    expect(() =>
      parseReleaseRequest({ releaseId: 'has space', service: '', commit: 'zz', trigger: { source: 'fax' } }),
    ).toThrowError(
      /releaseId: received "has space".*service: received "".*commit: received "zz".*trigger.source: received "fax"/,
    );
    try {
      parseReleaseRequest(undefined);
    } catch (error) {
      expect((error as Error).name).toBe('InvalidReleaseRequestError');
    }
    expect.assertions(2);
  });
});

describe('loadService: replayed pushes', () => {
  let dynamo: TestLedger;
  beforeAll(async () => {
    dynamo = await startTestLedger();
  });
  afterAll(async () => dynamo?.stop());

  const parsed = parseCatalog({
    version: 1,
    services: [
      { name: 'api', mode: 'deployment', source: { repository: 'api' }, runtime: { entry: 'src/h.ts' } },
    ],
  });
  if (!parsed.ok) throw new Error('catalog');
  const catalog = parsed.catalog;
  const OLD = 'a'.repeat(40);
  const LIVE = 'b'.repeat(40);
  const NEW = 'c'.repeat(40);
  const commit = (sha: string): CommitInfo => ({
    sha,
    author: 'dev@example.com',
    message: 'm',
    time: '2026-01-01T00:00:00Z',
  });
  const source: SourceRepository = {
    resolveCommit: async (_s, ref) => commit(ref ?? NEW),
    listCommits: async (_s, until) => [commit(until)],
    checkout: async () => undefined,
    changedPaths: async () => undefined,
  };
  const ports = (ledger: Ledger) => ({
    catalog: { load: async () => catalog },
    source,
    ledger,
    clock: { now: () => new Date('2026-06-01T00:00:00Z') },
  });
  const request = (sha: string, trigger: ReleaseTrigger) => ({
    releaseId: `api-${sha.slice(0, 12)}`,
    service: 'api',
    commit: sha,
    trigger,
  });

  /** OLD was released (and replaced), LIVE is live. */
  async function ledgerWithHistory(): Promise<Ledger> {
    const ledger = await dynamo.newLedger();
    for (const sha of [OLD, LIVE]) {
      const id = `api-${sha.slice(0, 12)}`;
      await ledger.startRelease({
        ...request(sha, { source: 'github' }),
        mode: 'deployment',
        commit: commit(sha),
        startedAt: '2026-01-01T00:00:00Z',
      });
      await ledger.finishRelease(id, 'api', {
        status: 'succeeded',
        stage: 'Deploy',
        endedAt: '2026-01-01T01:00:00Z',
      });
    }
    await ledger.setLive('api', {
      liveVersion: '2',
      liveReleaseId: `api-${LIVE.slice(0, 12)}`,
      liveCommit: LIVE,
      updatedAt: '2026-01-01T01:00:00Z',
    });
    return ledger;
  }

  it('refuses a push of a commit released before, or of the live one, leaving the ledger as it was', async () => {
    const ledger = await ledgerWithHistory();
    const before = await ledger.getRelease(`api-${OLD.slice(0, 12)}`);
    await expect(
      loadService(request(OLD, { source: 'github', delivery: 'd-replayed' }), ports(ledger)),
    ).rejects.toThrow(
      expect.objectContaining({
        name: 'StalePushError',
        message: expect.stringMatching(
          /^Commit aaaaaaaaaaaa was released before \(api-aaaaaaaaaaaa, succeeded at .*\); only an explicit `sluice release` releases it again\.$/,
        ),
      }),
    );
    for (const source of ['codecommit', 'local-git'] as const) {
      await expect(loadService(request(LIVE, { source }), ports(ledger))).rejects.toThrow(/is live already/);
    }
    expect(await ledger.getRelease(`api-${OLD.slice(0, 12)}`)).toEqual(before);
  });

  it('lets an explicit release (manual) release either again, and a push of a new commit, with its delivery id', async () => {
    const ledger = await ledgerWithHistory();
    await expect(
      loadService({ ...request(OLD, { source: 'manual' }), releaseId: 'api-again' }, ports(ledger)),
    ).resolves.toMatchObject({ release: { commit: { sha: OLD } } });
    const fresh = await loadService(request(NEW, { source: 'github', delivery: 'd-new' }), ports(ledger));
    expect(fresh.release.trigger).toEqual({ source: 'github', delivery: 'd-new' });
    expect((await ledger.getRelease(`api-${NEW.slice(0, 12)}`))?.trigger).toEqual({
      source: 'github',
      delivery: 'd-new',
    });
    // LoadService retried within the same execution: the release is open, not ended, so it goes on.
    await expect(
      loadService(request(NEW, { source: 'github', delivery: 'd-new' }), ports(ledger)),
    ).resolves.toBeDefined();
  });
});
