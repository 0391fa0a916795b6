import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LEDGER_KEYS } from '../lambdas/ledger/ledger';
import type { HandlerName } from '../lambdas/runtime/env';

export interface LedgerTableProps {
  /**
   * Customer managed key for encryption at rest.
   * @default - the AWS managed key for DynamoDB (aws/dynamodb)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The ledger is the audit trail of every release and approval: keep it when the stack goes.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The release ledger: one single-table-design DynamoDB table (releases, stages, approvals, per-service
 * state). Its key names come from LEDGER_KEYS, which the ledger code uses too. The local runtime reads this
 * table's definition from the synthesized template to create the same schema in DynamoDB Local, so it stays
 * a plain AWS::DynamoDB::Table.
 */
export class LedgerTable extends Construct {
  readonly table: dynamodb.ITable;
  readonly tableName: string;
  readonly tableArn: string;
  /** ARN of GSI1 (`<table>/index/GSI1`): grants name it instead of `index/*`. */
  readonly gsi1Arn: string;
  readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: LedgerTableProps = {}) {
    super(scope, id);
    const table = new dynamodb.Table(this, 'Resource', {
      partitionKey: { name: LEDGER_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_KEYS.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryptionKey
        ? dynamodb.TableEncryption.CUSTOMER_MANAGED
        : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: LEDGER_KEYS.gsi1.indexName,
      partitionKey: { name: LEDGER_KEYS.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_KEYS.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table = table;
    this.tableName = table.tableName;
    this.tableArn = table.tableArn;
    this.gsi1Arn = `${table.tableArn}/index/${LEDGER_KEYS.gsi1.indexName}`;
    this.encryptionKey = props.encryptionKey;
  }

  /**
   * Exactly the DynamoDB operations `access` names, on the table's items, and Query on GSI1 when asked. Each
   * handler gets the operations its own code sends (test/lib/iam-simulation.test.ts holds the two together),
   * so none has DeleteItem, batch writes, Scan or streams, which no Sluice code uses.
   */
  grant(grantee: iam.IGrantable, access: LedgerAccess): iam.Grant {
    const items = [...new Set(access.items)];
    if (items.length === 0 && !access.queryGsi1) {
      throw new Error('LedgerTable.grant: name at least one operation (items) or queryGsi1.');
    }
    const writes = items.some((op) => WRITE_OPERATIONS.includes(op));
    if (writes) this.encryptionKey?.grantEncryptDecrypt(grantee);
    else this.encryptionKey?.grantDecrypt(grantee);
    let grant: iam.Grant | undefined;
    if (items.length > 0) {
      grant = iam.Grant.addToPrincipal({
        grantee,
        actions: items.map((op) => `dynamodb:${op}`),
        resourceArns: [this.tableArn],
      });
    }
    if (access.queryGsi1) {
      const query = iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:Query'],
        resourceArns: [this.gsi1Arn],
      });
      grant = grant ? grant.combine(query) : query;
    }
    return grant as iam.Grant;
  }
}

/** The item operations a ledger grant can name. */
export type LedgerOperation =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'ConditionCheckItem'
  | 'PutItem'
  | 'UpdateItem';

/** What one grantee may do with the ledger. */
export interface LedgerAccess {
  /** Operations on the table's items (Query here is on the table's own key). */
  readonly items: readonly LedgerOperation[];
  /**
   * Query GSI1 (a service's releases or approvals, newest first).
   * @default false
   */
  readonly queryGsi1?: boolean;
}

const WRITE_OPERATIONS: readonly LedgerOperation[] = ['PutItem', 'UpdateItem'];

/** Handlers of the pipeline itself; the trigger handlers live in SluiceTriggers, the alarm provider in AlarmProvider. */
export type StepHandlerName = Exclude<
  HandlerName,
  'github-webhook' | 'router' | 'test-runner' | 'alarm-provider'
>;

/**
 * What each handler's code does with the ledger (the Ledger methods its core calls). The IAM check
 * (test/lib/iam-simulation.test.ts) fails if a handler's code sends an operation not listed here, or if one
 * listed here is sent by no code.
 */
export const LEDGER_ACCESS: Readonly<Record<StepHandlerName, LedgerAccess>> = {
  'load-service': { items: ['GetItem', 'PutItem', 'UpdateItem'] },
  build: { items: ['GetItem', 'UpdateItem'] },
  'run-tests': { items: ['UpdateItem'] },
  stage: { items: ['UpdateItem'] },
  'request-approval': { items: ['PutItem', 'UpdateItem'], queryGsi1: true },
  deploy: { items: ['GetItem', 'PutItem', 'UpdateItem'] },
  record: { items: ['GetItem', 'PutItem', 'UpdateItem'], queryGsi1: true },
  'deployment-events': { items: ['GetItem', 'PutItem', 'UpdateItem'] },
  'approval-api': { items: ['GetItem', 'PutItem', 'UpdateItem'] },
  'approval-expiry': { items: ['GetItem', 'PutItem', 'UpdateItem'] },
  'alarm-events': { items: ['GetItem', 'UpdateItem'] },
  // Query GSI1: the release's pending approval, to end it (abortPendingApproval).
  'execution-events': { items: ['GetItem', 'PutItem', 'UpdateItem'], queryGsi1: true },
};
