import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { depthProblem, FILE_PATH } from '../../core/catalog/load';
import type { Catalog } from '../../core/catalog/types';
import { CatalogError, describeValue, parseCatalog } from '../../core/catalog/validate';
import type { CatalogStore } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

/** A catalog change reaches running containers within a minute, without a GetObject per invocation. */
const DEFAULT_TTL_MS = 60_000;

export interface S3CatalogStoreOptions {
  /** @default 60000 */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

/**
 * The catalog file `cdk deploy` uploads next to the pipeline. Handlers keep one instance per container, so
 * the parsed catalog is reused for `ttlMs`.
 */
export class S3CatalogStore implements CatalogStore {
  private cached?: { readonly catalog: Catalog; readonly expiresAt: number };
  private inFlight?: Promise<Catalog>;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly options: S3CatalogStoreOptions = {},
  ) {}

  async load(): Promise<Catalog> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.expiresAt) return this.cached.catalog;
    // Concurrent callers share one request; a failure is not cached, so the next call tries again.
    this.inFlight ??= this.fetch(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(now: number): Promise<Catalog> {
    const where = `s3://${this.bucket}/${this.key}`;
    let text: string;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      if (!out.Body) throw new Error(`S3 returned no body for the catalog ${where}`);
      text = await out.Body.transformToString('utf-8');
    } catch (error) {
      throw mapAwsError(error, `Reading the catalog ${where}`, (name) =>
        name === 'NoSuchKey' || name === 'NoSuchBucket'
          ? new MissingResourceError(
              `The service catalog ${where} does not exist; run cdk deploy, which uploads sluice.catalog.json ` +
                'there and sets SLUICE_CATALOG_BUCKET / SLUICE_CATALOG_KEY.',
            )
          : undefined,
      );
    }
    const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const tooDeep = depthProblem(source, where);
    if (tooDeep) throw new CatalogError([tooDeep], where);
    let data: unknown;
    try {
      data = JSON.parse(source);
    } catch (error) {
      throw new CatalogError(
        [
          {
            path: FILE_PATH,
            received: describeValue(text.slice(0, 40)),
            fix: `invalid JSON (${(error as Error).message}); fix sluice.catalog.json and run cdk deploy again`,
          },
        ],
        where,
      );
    }
    const result = parseCatalog(data);
    if (!result.ok) throw new CatalogError(result.problems, where);
    this.cached = { catalog: result.catalog, expiresAt: now + (this.options.ttlMs ?? DEFAULT_TTL_MS) };
    return result.catalog;
  }
}
