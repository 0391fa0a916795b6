import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_KEYS, Ledger } from '../../lambdas/ledger/ledger';
import { sharedDynamoDbClient, sharedDynamoDbEndpoint, uniqueTableName } from './shared';

export interface TestLedger {
  /** The run's DynamoDB Local (http://127.0.0.1:port), for code that makes its own client. */
  readonly endpoint: string;
  /** A client of it. */
  readonly client: DynamoDBClient;
  /** A new table with the ledger's key schema; its name is unique in the run. */
  newTable(): Promise<string>;
  /** A ledger on a fresh table each call, so tests do not see each other's items. */
  newLedger(): Promise<Ledger>;
  stop(): Promise<void>;
}

/** Ledger tables in the run's real DynamoDB Local (test/global-setup.ts starts it once for every file). */
export async function startTestLedger(): Promise<TestLedger> {
  const client = await sharedDynamoDbClient();
  const { partitionKey, sortKey, gsi1 } = LEDGER_KEYS;
  const newTable = async () => {
    const name = uniqueTableName('ledger');
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [partitionKey, sortKey, gsi1.partitionKey, gsi1.sortKey].map((n) => ({
          AttributeName: n,
          AttributeType: 'S',
        })),
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi1.indexName,
            KeySchema: [
              { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    return name;
  };
  return {
    endpoint: await sharedDynamoDbEndpoint(),
    client,
    newTable,
    newLedger: async () => Ledger.forTable(client, await newTable()),
    stop: async () => client.destroy(),
  };
}
