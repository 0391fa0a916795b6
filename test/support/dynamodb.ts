import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { LEDGER_KEYS, Ledger } from '../../lambdas/ledger/ledger';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';

export interface TestLedger {
  readonly dynamo: DynamoDbLocal;
  /** A fresh table each call, so tests in one file do not see each other's items. */
  newLedger(): Promise<Ledger>;
  stop(): Promise<void>;
}

let tables = 0;

/** A real DynamoDB Local on 127.0.0.1 with tables of the ledger's key schema. */
export async function startTestLedger(): Promise<TestLedger> {
  const dynamo = await startDynamoDbLocal();
  const { partitionKey, sortKey, gsi1 } = LEDGER_KEYS;
  return {
    dynamo,
    newLedger: async () => {
      const name = `ledger-${++tables}`;
      await dynamo.client.send(
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
      return Ledger.forTable(dynamo.client, name);
    },
    stop: () => dynamo.stop(),
  };
}
