import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { acknowledgeWildcardResources, nagResourceId } from '../../lib/nag';
import { nagFindings } from './fixtures';

describe('nagResourceId', () => {
  it('flattens an ARN the way cdk-nag names IAM5 findings', () => {
    const stack = new Stack();
    const arn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: 'sluice-*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    expect(nagResourceId(stack, arn)).toBe(
      'arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:sluice-*',
    );
    expect(nagResourceId(stack, '*')).toBe('*');
  });

  it('acknowledges exactly the named wildcard, no other', () => {
    const stack = new Stack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
      }),
    );
    acknowledgeWildcardResources(role, ['arn:aws:s3:::a/*'], 'test');
    expect(nagFindings(stack)).toEqual([
      'error AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*] at Default/Role/DefaultPolicy/Resource',
    ]);
  });
});
