import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { artifactKey, buildRelease } from '../../../lambdas/build/build';
import { keepBuiltArtifact, promoteEarlierBuild } from '../../../lambdas/build/build-once';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import type { BuiltDependencies, ReleaseDocument } from '../../../lambdas/core/model';
import { systemClock } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { FolderArtifactStore } from '../../../local/adapters/folder-artifact-store';
import { LocalGitSource } from '../../../local/adapters/git-source';
import { commitOverlay, seedRepository } from '../../../local/demo/git-fixtures';
import { LocalNpmrc } from '../../../local/sandbox/local-npmrc';
import { ProcessTestSandbox } from '../../../local/sandbox/process-test-sandbox';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';

let db: TestLedger;
let ledger: Ledger;
const root = testTempDir('build-test-');
const reposDir = join(root, 'repos');
const artifacts = new FolderArtifactStore(join(root, 'artifacts'));
const source = new LocalGitSource(reposDir);

const catalog = parseCatalog({
  version: 1,
  services: [
    {
      name: 'greeter',
      mode: 'deployment',
      source: { repository: 'greeter' },
      runtime: { entry: 'src/handler.ts' },
      deploy: {},
    },
  ],
});
if (!catalog.ok) throw new Error(JSON.stringify(catalog.problems));
const config: ServiceConfig = defined(catalog.catalog.services[0], 'the test service');

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
});
afterAll(async () => db?.stop());

async function documentFor(sha: string, releaseId = `greeter-${sha.slice(0, 12)}`): Promise<ReleaseDocument> {
  const commit = await source.resolveCommit(config.source, sha);
  const release = {
    releaseId,
    service: 'greeter',
    mode: 'delivery' as const,
    commit,
    startedAt: new Date().toISOString(),
    trigger: { source: 'manual' as const },
  };
  await ledger.startRelease(release);
  return { releaseId, service: 'greeter', commit: sha, trigger: release.trigger, release, config };
}

const ports = () => ({
  source,
  artifacts,
  ledger,
  clock: systemClock,
  workDir: join(root, 'work'),
  testSandbox: new ProcessTestSandbox({ workDir: join(root, 'sandbox-host') }),
  npmrc: new LocalNpmrc(join(root, 'secrets')),
});

describe('buildRelease', () => {
  it('bundles the handler into a zip whose index.js exports it, and records the stage', async () => {
    const { sha } = await seedRepository(reposDir, 'greeter');
    const doc = await documentFor(sha);
    const result = await buildRelease(doc, ports());
    expect(result.artifactKey).toBe(artifactKey('greeter', doc.releaseId));
    const zip = await artifacts.get(result.artifactKey);
    expect(zip.byteLength).toBe(result.bytes);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(['index.js']);
    const module = { exports: {} as Record<string, unknown> };
    new Function(
      'module',
      'exports',
      'require',
      Buffer.from(defined(files['index.js'], 'index.js')).toString(),
    )(module, module.exports, require);
    expect(typeof module.exports.handler).toBe('function');
    // The service runs inside the metrics wrapper: one EMF line per invocation, by Service and Version.
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const answer = await (module.exports.handler as (e: unknown) => Promise<{ statusCode: number }>)({
        rawPath: '/',
        requestContext: { http: { method: 'GET' } },
      });
      expect(answer.statusCode).toBe(200);
    } finally {
      spy.mockRestore();
    }
    const emf = written.map((w) => JSON.parse(w));
    expect(emf).toEqual([
      expect.objectContaining({ Service: 'greeter', Requests: 1, ServerErrors: 0, _aws: expect.any(Object) }),
    ]);
    const record = await ledger.getRelease(doc.releaseId);
    expect(record?.stages.Build?.status).toBe('succeeded');

    // The same source builds to the same bytes (another release of the commit: a retry would promote it).
    const again = await buildRelease(await documentFor(sha, 'greeter-again'), ports());
    expect(again.sha256).toBe(result.sha256);
    expect(again.artifactKey).not.toBe(result.artifactKey);
  });

  it('fails with EntryPointNotFoundError naming the entry and the commit when the entry is gone', async () => {
    const { repo } = await seedRepository(reposDir, 'greeter');
    const sha = await commitOverlay(repo, 'missing-entry');
    const doc = await documentFor(sha);
    await expect(buildRelease(doc, ports())).rejects.toMatchObject({
      name: 'EntryPointNotFoundError',
      message: expect.stringContaining(`src/handler.ts not found in greeter at ${sha.slice(0, 12)}`),
    });
  });

  it('fails with BuildFailedError giving file, line and the compiler message on a syntax error', async () => {
    const { repo } = await seedRepository(reposDir, 'greeter');
    const sha = await commitOverlay(repo, 'broken-build');
    const doc = await documentFor(sha);
    await expect(buildRelease(doc, ports())).rejects.toMatchObject({
      name: 'BuildFailedError',
      message: expect.stringMatching(/src\/handler\.ts:\d+:\d+: /),
    });
  });
});

describe('build once: a retry of the same commit', () => {
  /** A source that cannot be checked out: a Build that promotes never needs one. */
  class NoCheckout extends LocalGitSource {
    override checkout(): Promise<void> {
      return Promise.reject(new Error('checked out: the retry built again'));
    }
  }
  const noCheckout = () => ({ ...ports(), source: new NoCheckout(reposDir) });
  const retryOf = (doc: ReleaseDocument): ReleaseDocument => ({
    ...doc,
    attempt: 2,
    retry: { requestedBy: 'dana@example.com', reason: 'flaky test' },
  });
  const hashOf = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');

  /** Attempt 1 of a release of its own (the seeded commits are the same in every test). */
  async function firstBuild(releaseId: string) {
    const { repo } = await seedRepository(reposDir, 'greeter');
    const sha = await commitOverlay(repo, 'greeter-v2');
    const doc = await documentFor(sha, releaseId);
    const built = await buildRelease(doc, ports());
    expect((await ledger.getRelease(doc.releaseId))?.artifact).toEqual({
      key: built.artifactKey,
      sha256: built.sha256,
      bytes: built.bytes,
      commit: sha,
      settings: expect.stringMatching(/^[0-9a-f]{64}$/),
      attempt: 1,
    });
    return { doc, built };
  }

  it('promotes the artifact attempt 1 built, after checking its sha256, without checking out or building', async () => {
    const { doc, built } = await firstBuild('greeter-once-1');

    const promoted = await buildRelease(retryOf(doc), noCheckout());

    expect(promoted).toMatchObject({
      artifactKey: built.artifactKey,
      sha256: built.sha256,
      bytes: built.bytes,
    });
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toBe(
      `promoted the artifact attempt 1 built: ${built.bytes} bytes, sha256 ${built.sha256.slice(0, 12)} verified`,
    );
  });

  it('keeps what Build found of the npm packages with the artifact, and a promoting retry carries it to the approval', async () => {
    const { doc, built } = await firstBuild('greeter-once-deps');
    const dependencies: BuiltDependencies = {
      comparedWithLive: true,
      packages: 2,
      added: ['ajv@8.20.0 (MIT)'],
      removed: [],
      changed: ['ms 2.1.2 → 2.1.3 (MIT)'],
      sbomKey: `${built.artifactKey.replace(/artifact\.zip$/, '')}sbom.cdx.json`,
      audit: 'not run',
    };
    await keepBuiltArtifact(doc, { ...built, dependencies }, ports());
    expect((await ledger.getRelease(doc.releaseId))?.artifact?.dependencies).toEqual(dependencies);

    const promoted = await buildRelease(retryOf(doc), noCheckout());

    expect(promoted.dependencies).toEqual(dependencies);
  });

  it('rebuilds an artifact that no longer hashes to the sha256 the ledger recorded, and says so', async () => {
    const { doc, built } = await firstBuild('greeter-once-2');
    const tampered = new TextEncoder().encode('not the artifact Build stored');
    await artifacts.put(built.artifactKey, tampered);

    await expect(buildRelease(retryOf(doc), noCheckout())).rejects.toThrow(/the retry built again/);
    const rebuilt = await buildRelease(retryOf(doc), ports());

    // The stored artifact is the rebuilt one, the same bytes as attempt 1's: the tampered bytes are gone.
    expect(rebuilt.sha256).toBe(built.sha256);
    expect(hashOf(await artifacts.get(built.artifactKey))).toBe(built.sha256);
    const record = await ledger.getRelease(doc.releaseId);
    expect(record?.stages.Build?.detail).toBe(
      `rebuilt, because the artifact attempt 1 built hashes to sha256 ${hashOf(tampered).slice(0, 12)}, ` +
        `not the ${built.sha256.slice(0, 12)} the ledger recorded: ${built.bytes} bytes, sha256 ${built.sha256.slice(0, 12)}`,
    );
    expect(record?.artifact).toMatchObject({ sha256: built.sha256, attempt: 2 });
  });

  it('rebuilds a missing artifact, and says so', async () => {
    const { doc, built } = await firstBuild('greeter-once-3');
    rmSync(join(root, 'artifacts', built.artifactKey));

    const rebuilt = await buildRelease(retryOf(doc), ports());

    expect(rebuilt.sha256).toBe(built.sha256);
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toMatch(
      /^rebuilt, because the artifact attempt 1 built could not be read \(Artifact releases\/greeter\/.* is not in /,
    );
  });

  it('does not promote an artifact built with other catalog settings (another handler, another source path), whatever the deploy settings', async () => {
    const { doc } = await firstBuild('greeter-once-4');
    const otherHandler = retryOf({
      ...doc,
      config: { ...config, runtime: { ...config.runtime, handler: 'main' } },
    });
    const otherPath = retryOf({
      ...doc,
      config: { ...config, source: { ...config.source, path: 'services/greeter' } },
    });
    const reason =
      'the artifact attempt 1 built was built with other catalog settings (its catalog entry changed since)';

    for (const changed of [otherHandler, otherPath]) {
      expect(await promoteEarlierBuild(changed, new Date(), ports())).toEqual({ rebuildReason: reason });
    }
    // What only later stages read does not matter; the same settings in another key order are the same.
    const otherDeploy = retryOf({
      ...doc,
      config: { ...config, deploy: { ...config.deploy, strategy: 'AllAtOnce' } },
    });
    expect((await promoteEarlierBuild(otherDeploy, new Date(), ports())).promoted).toBeDefined();
    const runtime = Object.fromEntries(Object.entries(config.runtime).reverse()) as typeof config.runtime;
    expect(Object.keys(runtime)).not.toEqual(Object.keys(config.runtime));
    const reordered = retryOf({ ...doc, config: { ...config, runtime } });
    expect((await promoteEarlierBuild(reordered, new Date(), ports())).promoted).toBeDefined();
  });
});
