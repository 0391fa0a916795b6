import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { LedgerTable } from '../../lib/ledger-table';
import { nagFindings } from './fixtures';

describe('LedgerTable', () => {
  it("is the construct's Resource, a plain table retained by default", () => {
    const stack = new Stack(new App(), 'S');
    const ledger = new LedgerTable(stack, 'Ledger');
    expect(ledger.node.defaultChild).toBe(ledger.table);
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    expect(nagFindings(ledger)).toEqual([]);
  });

  it('uses a customer managed key when given one, and grants it with the data', () => {
    const stack = new Stack(new App(), 'S');
    const key = new kms.Key(stack, 'Key');
    const ledger = new LedgerTable(stack, 'Ledger', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    ledger.grantReadData(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:Decrypt' }),
          Match.objectLike({
            Action: [
              'dynamodb:GetItem',
              'dynamodb:BatchGetItem',
              'dynamodb:Query',
              'dynamodb:ConditionCheckItem',
            ],
          }),
        ]),
      },
    });
  });
});
