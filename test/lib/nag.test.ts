import { App, ArnFormat, Fn, type PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  acknowledgeWildcardResources,
  nagResourceId,
  SluiceSolutionsChecks,
} from '../../lib/nag';
import { testOutdir } from '../support/test-temp-dir';
import { nagFindings, testApp } from './fixtures';

describe('nagResourceId', () => {
  it('flattens an ARN the way cdk-nag names IAM5 findings', () => {
    const stack = new Stack(testApp());
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
    const stack = new Stack(testApp());
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

describe('SluiceSolutionsChecks', () => {
  /** Functions as CloudFormation sees them: only the runtime matters to the L1 rule. */
  function functions(runtimes: Record<string, string>): Stack {
    const stack = new Stack(testApp());
    const role = 'arn:aws:iam::111111111111:role/test';
    for (const [id, runtime] of Object.entries(runtimes)) {
      new lambda.CfnFunction(stack, id, { runtime, role, handler: 'index.handler', code: { zipFile: '' } });
    }
    return stack;
  }

  const l1 = (report: PolicyValidationPluginReport) =>
    report.violations
      .filter((v) => v.ruleName === 'AwsSolutions-L1')
      .flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${r.constructPath} ${v.description}`));

  it('reports exactly the L1 findings AwsSolutionsChecks reports, each function judged on its own', () => {
    const latest = lambda.Runtime.ALL.map((r) => r.name)
      .filter((name) => /^nodejs\d+\.x$/.test(name))
      .sort((a, b) => Number.parseInt(a.slice(6), 10) - Number.parseInt(b.slice(6), 10))
      .at(-1);
    if (!latest) throw new Error('CDK knows no Node.js runtime');
    const stack = functions({ Old: 'nodejs20.x', Acked: 'nodejs20.x', Older: 'nodejs18.x', Latest: latest });
    Validations.of(stack.node.findChild('Acked')).acknowledge({ id: 'AwsSolutions-L1', reason: 'test' });
    const expected = l1(new AwsSolutionsChecks().validateScope(stack));
    expect(expected.map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual([
      'error Default/Old',
      'error Default/Older',
    ]);
    const checks = new SluiceSolutionsChecks();
    expect(l1(checks.validateScope(stack))).toEqual(expected);
    // A second pass answers from what the first remembered.
    expect(l1(checks.validateScope(stack))).toEqual(expected);
  });

  it('reports a runtime the rule cannot judge, each time, as AwsSolutionsChecks does', () => {
    const stack = functions({ Unparsable: '22', Token: Fn.importValue('runtime'), Other: 'nodejs20.x' });
    const expected = l1(new AwsSolutionsChecks().validateScope(stack));
    expect(expected).toHaveLength(3);
    expect(expected[0]).toContain('Rule threw an error');
    const checks = new SluiceSolutionsChecks();
    expect(l1(checks.validateScope(stack))).toEqual(expected);
    expect(l1(checks.validateScope(stack))).toEqual(expected);
  });
});

describe('acknowledge', () => {
  const acknowledgements = (role: iam.Role) =>
    role.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);

  function stackWithWildcard(context: Record<string, unknown>): { stack: Stack; role: iam.Role } {
    const app = new App({ outdir: testOutdir(), context });
    const stack = new Stack(app, 'S');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::a/*'] }));
    return { stack, role };
  }

  it('acknowledges as Validations does, without a stack trace when creation stack traces are off', () => {
    const { stack, role } = stackWithWildcard({ [DISABLE_CREATION_STACK_TRACES]: true });
    acknowledge(role, { id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::a/*]', reason: 'test' });
    expect(nagFindings(stack)).toEqual([]);
    const [recorded] = acknowledgements(role);
    expect(recorded?.data).toEqual({ 'Annotation::AwsSolutions-IAM5[Resource::arn:aws:s3:::a/*]': 'test' });
    expect(recorded?.trace?.join('\n')).not.toContain('nag.test.ts');
  });

  it('keeps the stack trace when creation stack traces are on, and restores the trace limit', () => {
    const limit = Error.stackTraceLimit;
    const { role } = stackWithWildcard({});
    acknowledge(role, { id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::a/*]', reason: 'test' });
    expect(acknowledgements(role)[0]?.trace?.join('\n')).toContain('nag.test.ts');
    const off = stackWithWildcard({ [DISABLE_CREATION_STACK_TRACES]: true });
    acknowledge(off.role, { id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::a/*]', reason: 'test' });
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
