import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { S3ArtifactStore } from '../../../../lambdas/adapters/aws/s3-artifact-store';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError, sdkBody } from './helpers';

const s3 = mockClient(S3Client);
const store = () => new S3ArtifactStore(new S3Client({}), 'artifacts-bucket');

beforeEach(() => s3.reset());

describe('S3ArtifactStore.put', () => {
  it('uploads with a SHA-256 checksum S3 verifies and server-side encryption, and reports hex sha256 and size', async () => {
    s3.on(PutObjectCommand).resolves({});
    const body = new TextEncoder().encode('zip bytes');
    const digest = createHash('sha256').update(body).digest();

    const stored = await store().put('orders/r-1/bundle.zip', body);

    expect(stored).toEqual({ key: 'orders/r-1/bundle.zip', sha256: digest.toString('hex'), bytes: 9 });
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Bucket: 'artifacts-bucket',
      Key: 'orders/r-1/bundle.zip',
      Body: body,
      ChecksumSHA256: digest.toString('base64'),
      ServerSideEncryption: 'AES256',
      ContentType: 'application/octet-stream',
    });
  });

  it('uses KMS encryption with the configured key when asked', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3ArtifactStore(new S3Client({}), 'b', {
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'key-1',
    }).put('k', new Uint8Array([1]));
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'key-1',
    });
  });

  it('maps throttling (SlowDown) and 5xx to TransientError', async () => {
    s3.on(PutObjectCommand)
      .rejectsOnce(awsError('SlowDown', { status: 503 }))
      .rejectsOnce(awsError('InternalError'));
    await expect(store().put('k', new Uint8Array())).rejects.toBeInstanceOf(TransientError);
    await expect(store().put('k', new Uint8Array())).rejects.toThrow(
      /Uploading artifact s3:\/\/artifacts-bucket\/k/,
    );
  });

  it('names the missing bucket and how to create it', async () => {
    s3.on(PutObjectCommand).rejects(awsError('NoSuchBucket', { status: 404 }));
    const error = await store()
      .put('k', new Uint8Array())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toMatch(/artifacts-bucket does not exist; redeploy .*cdk deploy/);
  });

  it('passes other errors through unchanged (AccessDenied keeps its name)', async () => {
    const denied = awsError('AccessDenied', { status: 403 });
    s3.on(PutObjectCommand).rejects(denied);
    await expect(store().put('k', new Uint8Array())).rejects.toBe(denied);
  });
});

describe('S3ArtifactStore.get', () => {
  it('downloads the object bytes', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: sdkBody(new Uint8Array([1, 2, 3])) as unknown as GetObjectCommandOutput['Body'],
    });
    await expect(store().get('orders/r-1/bundle.zip')).resolves.toEqual(new Uint8Array([1, 2, 3]));
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'artifacts-bucket',
      Key: 'orders/r-1/bundle.zip',
    });
  });

  it('turns NoSuchKey into a MissingResourceError naming the object and what writes it', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    const error = await store()
      .get('orders/r-9/bundle.zip')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toContain('s3://artifacts-bucket/orders/r-9/bundle.zip does not exist');
    expect((error as Error).message).toContain('Build stage');
  });

  it('maps a 503 to TransientError', async () => {
    s3.on(GetObjectCommand).rejects(awsError('ServiceUnavailable', { status: 503 }));
    await expect(store().get('k')).rejects.toBeInstanceOf(TransientError);
  });
});

describe('S3ArtifactStore.find', () => {
  it('answers undefined for a missing key (the install cache), and the body for one that exists', async () => {
    s3.on(GetObjectCommand, { Key: 'dependencies/npm-abc.zip' }).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    s3.on(GetObjectCommand, { Key: 'dependencies/npm-def.zip' }).resolves({
      Body: sdkBody(new TextEncoder().encode('zip')) as unknown as GetObjectCommandOutput['Body'],
    });
    await expect(store().find('dependencies/npm-abc.zip')).resolves.toBeUndefined();
    await expect(store().find('dependencies/npm-def.zip')).resolves.toEqual(new TextEncoder().encode('zip'));
  });

  it('passes AccessDenied and throttling through instead of treating them as a miss', async () => {
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', { status: 403 }));
    await expect(store().find('dependencies/npm-abc.zip')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
