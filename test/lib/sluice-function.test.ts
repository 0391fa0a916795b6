import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { HandlerName } from '../../lambdas/runtime/env';
import { HANDLER_METADATA_KEY, SluiceFunction } from '../../lib/sluice-function';
import { testTempDir } from '../support/test-temp-dir';
import { nagFindings, testApp } from './fixtures';

describe('SluiceFunction', () => {
  const stack = new Stack(testApp(), 'S');
  const fn = new SluiceFunction(stack, 'Record', { handler: 'record' });
  const template = Template.fromStack(stack);

  it('tags the function with its handler for the local runtime', () => {
    expect(fn.node.defaultChild).toBe(fn.function);
    template.hasResource('AWS::Lambda::Function', { Metadata: { [HANDLER_METADATA_KEY]: 'record' } });
  });

  it('defaults to Node.js 22 on x86_64, 256 MB, 30 s, X-Ray, JSON logs to its own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^RecordLogGroup') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('has a role of its own, with no managed policy, that may write only its log group', () => {
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RecordLogGroup'), 'Arn'] },
          },
        ]),
      },
    });
    expect(nagFindings(fn)).toEqual([]);
  });

  it('rejects an unknown handler and a missing handler module, saying how to fix it', () => {
    const s = new Stack(testApp(), 'T');
    expect(() => new SluiceFunction(s, 'X', { handler: 'nope' as HandlerName })).toThrow(
      /handler must be one of load-service, .*received "nope"/,
    );
    const empty = testTempDir('root-');
    expect(() => new SluiceFunction(s, 'Y', { handler: 'record', projectRoot: empty })).toThrow(
      /no handler module at .*lambdas\/record\/index\.ts/,
    );
    expect(() => new SluiceFunction(s, 'Z', { handler: 'record', memorySize: 64 })).toThrow(
      /memorySize .*received 64/,
    );
  });
});
