/** `sluice status|metrics --aws`: the same report, read from a deployed stack's ledger with the caller's credentials. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireCatalogFile } from '../../lambdas/core/catalog/load';
import { Ledger } from '../../lambdas/ledger/ledger';
import { collectStatus, type StatusReport } from '../status/status';

export interface AwsStatusOptions {
  readonly tableName: string;
  readonly catalogFile: string;
  readonly periodMs: number;
  readonly service?: string;
  /** @default - a DynamoDB client from the usual AWS environment */
  readonly client?: DynamoDBClient;
  /** @default new Date() */
  readonly now?: Date;
}

export async function awsStatusReport(options: AwsStatusOptions): Promise<StatusReport> {
  const ledger = Ledger.forTable(options.client ?? new DynamoDBClient({}), options.tableName);
  return collectStatus(ledger, requireCatalogFile(options.catalogFile), {
    now: options.now ?? new Date(),
    periodMs: options.periodMs,
    ...(options.service ? { service: options.service } : {}),
  });
}
