import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/runtime/env';
import { GitHubToken } from '../../lib/github-token';
import { SluiceFunction } from '../../lib/sluice-function';
import { nagFindings, testApp } from './fixtures';

describe('GitHubToken', () => {
  const stack = new Stack(testApp(), 'S');
  const token = new GitHubToken(stack, 'GitHubToken');
  const reader = new SluiceFunction(stack, 'Build', { handler: 'build' });
  const other = new SluiceFunction(stack, 'Record', { handler: 'record' });
  token.grantRead(reader);
  const template = Template.fromStack(stack);
  const secretId = stack.getLogicalId(token.secret.node.defaultChild as never);

  it('creates one secret whose description says which token to put in it', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('fine-grained personal access token.*read-only Contents access'),
    });
    template.hasOutput('*', {
      Value: { Ref: secretId },
      Description: Match.stringLikeRegexp('put-secret-value'),
    });
  });

  it('lets only the granted handler read it, and names it in that handler only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(reader.role.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            // GetSecretValue is what the source adapters call; no DescribeSecret.
            Action: 'secretsmanager:GetSecretValue',
            Resource: { Ref: secretId },
          }),
        ]),
      },
    });
    const env = (fn: SluiceFunction) =>
      template.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as never)].Properties
        .Environment?.Variables ?? {};
    expect(env(reader)[ENV.githubTokenSecretArn]).toEqual({ Ref: secretId });
    expect(env(other)).not.toHaveProperty(ENV.githubTokenSecretArn);
  });

  it('has no unacknowledged cdk-nag findings (rotation is by hand, with a reason)', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
