import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LEDGER_KEYS } from '../lambdas/ledger/ledger';

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
   * Items and GSI1: the item-level reads and writes the ledger code uses (conditional puts and updates,
   * queries). Unlike Table.grantReadWriteData, it names the index instead of `index/*` and leaves out
   * streams and scans.
   */
  grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, [...READ_ACTIONS, ...WRITE_ACTIONS]);
  }

  /** Alias of grantReadWriteData: the ledger has only data to grant on. */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantReadWriteData(grantee);
  }

  /** Items and GSI1, read only (status pages, reports). */
  grantReadData(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, READ_ACTIONS);
  }

  private grant(grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    const write = actions.some((action) => (WRITE_ACTIONS as readonly string[]).includes(action));
    if (write) this.encryptionKey?.grantEncryptDecrypt(grantee);
    else this.encryptionKey?.grantDecrypt(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.tableArn, this.gsi1Arn],
    });
  }
}

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
] as const;
const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;
