import { CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { LogicalIdsPinnedError, pinLogicalIds } from '../../lib/logical-ids';
import { testApp } from './fixtures';

/** A stack whose elements refer to one another (Ref, GetAtt, DependsOn), one of them renamed. */
function referringStack(pin: boolean, configure?: (stack: Stack) => void): Stack {
  const stack = new Stack(testApp(), 'S');
  const logGroup = new logs.LogGroup(stack, 'Logs');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    logGroup,
  });
  fn.grantInvoke(new iam.AccountRootPrincipal());
  new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
  new CfnOutput(stack, 'Arn', { value: fn.functionArn });
  stack.renameLogicalId(stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup), 'RenamedLogs');
  configure?.(stack);
  if (pin) pinLogicalIds(stack);
  return stack;
}

describe('pinLogicalIds', () => {
  it('leaves the template unchanged: renames, references and the hashed version ID included', () => {
    const pinned = Template.fromStack(referringStack(true)).toJSON();
    expect(pinned).toEqual(Template.fromStack(referringStack(false)).toJSON());
    const ids = Object.keys(pinned.Resources as object);
    expect(ids).toContain('RenamedLogs');
    expect(ids.some((id) => id.startsWith('FnCurrentVersion'))).toBe(true);
  });

  it('refuses a rename asked for after pinning, which could no longer take effect', () => {
    const stack = referringStack(true);
    const role = stack.node.findChild('Fn').node.findChild('ServiceRole').node.defaultChild as iam.CfnRole;
    expect(() => stack.renameLogicalId(stack.getLogicalId(role), 'Elsewhere')).toThrow(LogicalIdsPinnedError);
    expect(Template.fromStack(stack).toJSON()).toEqual(Template.fromStack(referringStack(false)).toJSON());
  });

  it('still refuses two elements given the same logical ID', () => {
    const renameFunctionOntoLogs = (stack: Stack) => {
      const fn = stack.node.findChild('Fn').node.defaultChild as lambda.CfnFunction;
      stack.renameLogicalId(stack.getLogicalId(fn), 'RenamedLogs');
    };
    expect(() => referringStack(true, renameFunctionOntoLogs)).toThrow(/same Logical ID/);
  });
});
