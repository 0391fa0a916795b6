/**
 * What every part of the ledger shares: the table's key names, the document client it writes through, and
 * the helpers for conditional writes and key-stripped reads.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerConflictError } from './errors';

/** The table's key schema; lib/ledger-table.ts renders the same names in CloudFormation. */
export const LEDGER_KEYS = {
  partitionKey: 'PK',
  sortKey: 'SK',
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  ttlAttribute: 'ttl',
} as const;

/** The ledger's table, through a document client marshalled as Ledger.forTable sets it up. */
export interface LedgerTableRef {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export function stripKeys<T>(item: Record<string, unknown>): T {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ttl: _ttl, ...rest } = item;
  return rest as T;
}

/** `SET #f0 = :v0, …` for the defined fields of `fields`, with its attribute names and values. */
export function setFields(fields: Record<string, unknown>) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    count: entries.length,
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** A conditional write whose condition did not hold (the item is not in the state the write expected). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error).name === 'ConditionalCheckFailedException'
  );
}

export async function conditional<T>(write: Promise<T>, conflict: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new LedgerConflictError(conflict);
    }
    throw error;
  }
}

/** The items of partition `pk` whose sort key starts with `prefix` (one page: these lists stay small). */
export async function itemsUnder<T>(
  table: LedgerTableRef,
  pk: string,
  prefix: string,
  order: 'oldest-first' | 'newest-first',
): Promise<T[]> {
  const { Items = [] } = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ScanIndexForward: order === 'oldest-first',
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => stripKeys<T>(item));
}
