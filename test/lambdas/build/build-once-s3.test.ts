/**
 * Build once on the AWS adapter: a retry's Build reads the recorded artifact back with one GetObject of exactly
 * its bucket and key (aws-sdk-client-mock), promotes it when it hashes to the ledger's sha256 (DynamoDB Local),
 * and builds again, saying why, when S3 no longer has it.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../../lambdas/adapters/aws/s3-artifact-store';
import { artifactKey } from '../../../lambdas/build/build';
import { keepBuiltArtifact, promoteEarlierBuild } from '../../../lambdas/build/build-once';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import type { ReleaseDocument } from '../../../lambdas/core/model';
import type { Clock } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { sdkBody } from '../adapters/aws/helpers';

const s3 = mockClient(S3Client);
const ZIP = new TextEncoder().encode('the zip attempt 1 built');
const SHA = createHash('sha256').update(ZIP).digest('hex');
const AT = new Date('2026-12-04T10:00:00.000Z');
const clock: Clock = { now: () => AT };

const parsed = parseCatalog({
  version: 1,
  services: [
    { name: 'orders', mode: 'deployment', source: { repository: 'orders' }, runtime: { entry: 'src/h.ts' } },
  ],
});
if (!parsed.ok) throw new Error('the test catalog is invalid');
const config = defined(parsed.catalog.services[0], 'the test service');

let dynamo: TestLedger;
let ledger: Ledger;
let doc: ReleaseDocument;

beforeAll(async () => {
  dynamo = await startTestLedger();
  ledger = await dynamo.newLedger();
  const commit = {
    sha: 'o'.repeat(40),
    author: 'dev@example.com',
    message: 'change',
    time: AT.toISOString(),
  };
  const release = {
    releaseId: 'orders-oooooooooooo',
    service: 'orders',
    mode: 'deployment' as const,
    commit,
    startedAt: AT.toISOString(),
    trigger: { source: 'manual' as const },
  };
  await ledger.startRelease(release);
  doc = {
    releaseId: release.releaseId,
    service: 'orders',
    commit: commit.sha,
    attempt: 2,
    retry: { requestedBy: 'dana@example.com', reason: 'flaky test' },
    trigger: release.trigger,
    release,
    config,
  };
  // What attempt 1's Build kept.
  const built = { artifactKey: artifactKey('orders', release.releaseId), sha256: SHA, bytes: ZIP.byteLength };
  await keepBuiltArtifact({ ...doc, attempt: 1 }, { ...built, durationMs: 1 }, { ledger });
}, 120_000);
afterAll(async () => dynamo?.stop());
beforeEach(() => s3.reset());

const ports = () => ({ ledger, clock, artifacts: new S3ArtifactStore(new S3Client({}), 'artifacts-bucket') });

describe('build once with S3', () => {
  it('promotes the artifact after one GetObject of its bucket and key, and writes nothing to S3', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkBody(ZIP) as unknown as GetObjectCommandOutput['Body'] });

    const earlier = await promoteEarlierBuild(doc, AT, ports());

    expect(earlier.promoted).toEqual({
      artifactKey: 'releases/orders/orders-oooooooooooo/artifact.zip',
      sha256: SHA,
      bytes: ZIP.byteLength,
      durationMs: 0,
    });
    expect(s3.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
      [
        'GetObjectCommand',
        { Bucket: 'artifacts-bucket', Key: 'releases/orders/orders-oooooooooooo/artifact.zip' },
      ],
    ]);
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toBe(
      `promoted the artifact attempt 1 built: ${ZIP.byteLength} bytes, sha256 ${SHA.slice(0, 12)} verified`,
    );
  });

  it('does not promote an artifact S3 no longer has (NoSuchKey): Build runs, saying why', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );

    const earlier = await promoteEarlierBuild(doc, AT, ports());

    expect(earlier.promoted).toBeUndefined();
    expect(earlier.rebuildReason).toMatch(
      /^the artifact attempt 1 built could not be read \(Artifact s3:\/\/artifacts-bucket\/releases\/orders\/orders-oooooooooooo\/artifact\.zip does not exist\./,
    );
  });
});
