import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { awsSourceRepository } from '../adapters/aws/provider-source';
import { S3CatalogStore } from '../adapters/aws/s3-catalog-store';
import type { ReleaseDocument } from '../core/model';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type LoadServicePorts, loadService } from './load-service';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: LoadServicePorts) =>
  async (event: unknown, context: Context): Promise<ReleaseDocument> => {
    logger.addContext(context);
    const doc = await loadService(event, ports);
    logger.info('release opened', { releaseId: doc.releaseId, commit: doc.release.commit.sha });
    return doc;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  catalog: new S3CatalogStore(new S3Client({}), requireEnv(ENV.catalogBucket), requireEnv(ENV.catalogKey)),
  source: awsSourceRepository(),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  clock: systemClock,
}));
