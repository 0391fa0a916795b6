import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { ArtifactStore, StoredArtifact } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

export interface S3ArtifactStoreOptions {
  /** @default 'AES256' (S3-managed keys) */
  readonly serverSideEncryption?: ServerSideEncryption;
  /** KMS key for `aws:kms`; the bucket's default key when absent. */
  readonly kmsKeyId?: string;
}

/** Build artifacts (zipped bundles) in the pipeline's artifact bucket. */
export class S3ArtifactStore implements ArtifactStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly options: S3ArtifactStoreOptions = {},
  ) {}

  async put(key: string, body: Uint8Array): Promise<StoredArtifact> {
    const digest = createHash('sha256').update(body).digest();
    const encryption = this.options.serverSideEncryption ?? 'AES256';
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          // S3 verifies the upload against it, so a corrupted transfer fails here instead of at deploy time.
          ChecksumSHA256: digest.toString('base64'),
          ServerSideEncryption: encryption,
          ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
          ContentType: 'application/octet-stream',
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `Uploading artifact s3://${this.bucket}/${key}`, (name) =>
        name === 'NoSuchBucket' ? this.missingBucket() : undefined,
      );
    }
    return { key, sha256: digest.toString('hex'), bytes: body.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new Error(`S3 returned no body for artifact s3://${this.bucket}/${key}`);
      return await out.Body.transformToByteArray();
    } catch (error) {
      throw mapAwsError(error, `Downloading artifact s3://${this.bucket}/${key}`, (name) => {
        if (name === 'NoSuchKey') {
          return new MissingResourceError(
            `Artifact s3://${this.bucket}/${key} does not exist. It is written by the Build stage of the same ` +
              'release; if the release is older than the bucket lifecycle rule, start a new release.',
          );
        }
        return name === 'NoSuchBucket' ? this.missingBucket() : undefined;
      });
    }
  }

  /**
   * GetObject, with a missing key as undefined. S3 answers NoSuchKey only to a caller with s3:ListBucket (else
   * AccessDenied): Build has it for its dependency cache (lib/pipeline-stack.ts).
   */
  async find(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.get(key);
    } catch (error) {
      if (
        error instanceof MissingResourceError &&
        error.message.startsWith(`Artifact s3://${this.bucket}/${key} `)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  private missingBucket(): MissingResourceError {
    return new MissingResourceError(
      `Artifact bucket ${this.bucket} does not exist; redeploy the Sluice pipeline stack (cdk deploy), which ` +
        'creates it and sets SLUICE_ARTIFACT_BUCKET.',
    );
  }
}
