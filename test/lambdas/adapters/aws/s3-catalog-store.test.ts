import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { S3CatalogStore } from '../../../../lambdas/adapters/aws/s3-catalog-store';
import { CatalogError } from '../../../../lambdas/core/catalog/validate';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError, sdkBody } from './helpers';

const s3 = mockClient(S3Client);

const catalogJson = JSON.stringify({
  version: 1,
  services: [
    { name: 'orders', mode: 'deployment', source: { repository: 'orders' }, runtime: { entry: 'src/h.ts' } },
  ],
});
const body = (text: string) => ({ Body: sdkBody(text) as unknown as GetObjectCommandOutput['Body'] });

let clock = 0;
const store = () =>
  new S3CatalogStore(new S3Client({}), 'config-bucket', 'sluice.catalog.json', { now: () => clock });

beforeEach(() => {
  s3.reset();
  clock = 1_000_000;
});

describe('S3CatalogStore', () => {
  it('reads the object, validates it and fills defaults', async () => {
    s3.on(GetObjectCommand).resolves(body(catalogJson));
    const catalog = await store().load();
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'config-bucket',
      Key: 'sluice.catalog.json',
    });
    expect(catalog.services[0]).toMatchObject({ name: 'orders', source: { branch: 'main', path: '.' } });
  });

  it('caches the parsed catalog for 60 s, then reads it again', async () => {
    s3.on(GetObjectCommand).resolves(body(catalogJson));
    const s = store();
    const first = await s.load();
    clock += 59_999;
    expect(await s.load()).toBe(first);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    clock += 1;
    await s.load();
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('shares one GetObject between concurrent loads', async () => {
    s3.on(GetObjectCommand).resolves(body(catalogJson));
    const s = store();
    const [a, b] = await Promise.all([s.load(), s.load()]);
    expect(a).toBe(b);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('rejects an invalid catalog with a CatalogError naming the S3 object and each problem', async () => {
    s3.on(GetObjectCommand).resolves(body(JSON.stringify({ version: 2, services: [] })));
    const error = await store()
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    const message = (error as Error).message;
    expect(message).toContain('s3://config-bucket/sluice.catalog.json');
    expect(message).toContain('version: received 2');
    expect(message).toContain('services: received []');
  });

  it('reports broken JSON as a CatalogError and does not cache the failure', async () => {
    s3.on(GetObjectCommand).resolvesOnce(body('{"version": 1,')).resolves(body(catalogJson));
    const s = store();
    await expect(s.load()).rejects.toThrow(/s3:\/\/config-bucket\/sluice.catalog.json[\s\S]*invalid JSON/);
    await expect(s.load()).resolves.toMatchObject({ version: 1 });
  });

  it('refuses a catalog nested too deeply with a CatalogError, not a RangeError', async () => {
    s3.on(GetObjectCommand).resolves(
      body(`{"version": 1, "services": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    );
    await expect(store().load()).rejects.toThrow(
      /s3:\/\/config-bucket\/sluice.catalog.json[\s\S]*nested deeper than 32 levels/,
    );
  });

  it('turns NoSuchKey into a MissingResourceError saying cdk deploy uploads it', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    const error = await store()
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toMatch(
      /s3:\/\/config-bucket\/sluice.catalog.json does not exist; run cdk deploy/,
    );
  });

  it('maps throttling to TransientError', async () => {
    s3.on(GetObjectCommand).rejects(awsError('SlowDown', { status: 503 }));
    await expect(store().load()).rejects.toBeInstanceOf(TransientError);
  });
});
