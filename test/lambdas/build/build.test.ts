import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { artifactKey, buildRelease } from '../../../lambdas/build/build';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import type { ReleaseDocument } from '../../../lambdas/core/model';
import { systemClock } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { FolderArtifactStore } from '../../../local/adapters/folder-artifact-store';
import { LocalGitSource } from '../../../local/adapters/git-source';
import { commitOverlay, seedRepository } from '../../../local/demo/git-fixtures';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let db: TestLedger;
let ledger: Ledger;
const root = mkdtempSync(join(tmpdir(), 'sluice-build-test-'));
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

async function documentFor(sha: string): Promise<ReleaseDocument> {
  const commit = await source.resolveCommit(config.source, sha);
  const releaseId = `greeter-${sha.slice(0, 12)}`;
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

const ports = () => ({ source, artifacts, ledger, clock: systemClock, workDir: join(root, 'work') });

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

    // The same source builds to the same bytes.
    const again = await buildRelease(doc, ports());
    expect(again.sha256).toBe(result.sha256);
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
