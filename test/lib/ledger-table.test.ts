import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { LedgerTable } from '../../lib/ledger-table';
import { nagFindings, testApp } from './fixtures';

describe('LedgerTable', () => {
  it("is the construct's Resource, a plain table retained by default", () => {
    const stack = new Stack(testApp(), 'S');
    const ledger = new LedgerTable(stack, 'Ledger');
    expect(ledger.node.defaultChild).toBe(ledger.table);
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    expect(nagFindings(ledger)).toEqual([]);
  });

  it('uses a customer managed key when given one, and grants it with the data', () => {
    const stack = new Stack(testApp(), 'S');
    const key = new kms.Key(stack, 'Key');
    const ledger = new LedgerTable(stack, 'Ledger', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    ledger.grant(role, { items: ['GetItem'], queryGsi1: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:Decrypt' }),
          Match.objectLike({ Action: 'dynamodb:GetItem' }),
          Match.objectLike({ Action: 'dynamodb:Query' }),
        ]),
      },
    });
  });

  it('grants exactly the operations named: items on the table, Query on GSI1 by name', () => {
    const stack = new Stack(testApp(), 'S');
    const ledger = new LedgerTable(stack, 'Ledger');
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
    ledger.grant(writer, { items: ['GetItem', 'UpdateItem', 'UpdateItem'] });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    ledger.grant(reader, { items: [], queryGsi1: true });
    const template = Template.fromStack(stack);
    const statementsOf = (role: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statementsOf('Writer')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Ledger/), 'Arn'] },
      },
    ]);
    const [query] = statementsOf('Reader');
    expect(query.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(query.Resource)).toContain('/index/GSI1');
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('/index/*');
    expect(json).not.toMatch(/dynamodb:(DeleteItem|BatchWriteItem|Scan)/);
  });

  it('refuses a grant that names nothing', () => {
    const stack = new Stack(testApp(), 'S');
    const ledger = new LedgerTable(stack, 'Ledger');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => ledger.grant(role, { items: [] })).toThrow(/name at least one operation/);
  });
});
