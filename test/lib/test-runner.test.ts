/** The sandbox for service code in AWS: the test-runner function and who may reach it. */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV, type HandlerName } from '../../lambdas/runtime/env';
import { SluicePipelineStack } from '../../lib/pipeline-stack';
import { type CfnResource, catalogOf, nagFindings, propsOf, resourcesOf, testApp } from './fixtures';

const stack = new SluicePipelineStack(testApp(), 'SluicePipeline', { catalog: catalogOf(2) });
const template = Template.fromStack(stack);
const resources = resourcesOf(template);

const functionIdOf = (handler: HandlerName): string => {
  const found = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(
    ([, r]) => r.Metadata?.['Sluice::Handler'] === handler,
  );
  if (!found) throw new Error(`no function runs ${handler}`);
  return found[0];
};
const roleIdOf = (handler: HandlerName) =>
  (propsOf(resources[functionIdOf(handler)] as CfnResource).Role as { 'Fn::GetAtt': [string] })[
    'Fn::GetAtt'
  ][0];

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement, in any policy, attached to the role (inline, managed or AWS::IAM::Policy). */
function statementsOf(roleId: string): Statement[] {
  const attached = Object.values(resources).filter(
    (r) =>
      (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
      JSON.stringify(propsOf(r).Roles ?? []).includes(JSON.stringify({ Ref: roleId })),
  );
  const role = propsOf(resources[roleId] as CfnResource);
  return [
    ...attached.flatMap((p) => (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement),
    ...((role.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
      (p) => p.PolicyDocument.Statement,
    ),
  ];
}

describe('the test runner (sandbox for service code)', () => {
  const runnerId = functionIdOf('test-runner');
  const runner = propsOf(resources[runnerId] as CfnResource);
  const logGroupId = (runner.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;

  it('has a role that may only write its own log group: no other statement, no managed policy', () => {
    const roleId = roleIdOf('test-runner');
    expect(statementsOf(roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
    expect(propsOf(resources[roleId] as CfnResource).ManagedPolicyArns).toBeUndefined();
  });

  it('has no environment variable and no tracing (X-Ray would be a grant)', () => {
    expect(runner.Environment).toBeUndefined();
    expect(runner.TracingConfig).toBeUndefined();
    expect(runner).toMatchObject({ MemorySize: 1769, Timeout: 900, EphemeralStorage: { Size: 2048 } });
  });

  it('may be invoked by the Test and Build handlers alone, on the unqualified function, whose ARN they are given', () => {
    const invokers = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(propsOf(r).PolicyDocument).includes(`"${runnerId}"`));
    expect(invokers.map(([, r]) => JSON.stringify(propsOf(r).Roles)).sort()).toEqual(
      [[{ Ref: roleIdOf('run-tests') }], [{ Ref: roleIdOf('build') }]].map((r) => JSON.stringify(r)).sort(),
    );
    for (const caller of ['run-tests', 'build'] as const) {
      expect(statementsOf(roleIdOf(caller))).toContainEqual({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [runnerId, 'Arn'] },
      });
      const env = (
        propsOf(resources[functionIdOf(caller)] as CfnResource).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(env[ENV.testRunnerFunctionArn]).toEqual({ 'Fn::GetAtt': [runnerId, 'Arn'] });
    }
    // No resource policy opens it to anyone else.
    expect(
      Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((p) =>
        JSON.stringify(propsOf(p).FunctionName).includes(runnerId),
      ),
    ).toEqual([]);
  });

  it('passes cdk-nag with no finding', () => {
    expect(nagFindings(stack.testRunner)).toEqual([]);
  });
});

describe('the npm layer', () => {
  it('gives the runner the npm CLI as a layer (Lambda’s runtime has node, not npm)', () => {
    const runner = propsOf(resources[functionIdOf('test-runner')] as CfnResource);
    const layers = runner.Layers as { Ref: string }[];
    expect(layers).toHaveLength(1);
    const layer = propsOf(resources[layers[0]?.Ref ?? ''] as CfnResource);
    expect(layer.Description).toMatch(/^npm 11\.\d+\.\d+ CLI/);
    expect(layer.CompatibleRuntimes).toEqual(['nodejs22.x']);
    // Only the runner: no handler with a Sluice credential runs npm.
    const withNpm = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter((f) =>
      JSON.stringify(propsOf(f).Layers ?? []).includes(layers[0]?.Ref ?? ''),
    );
    expect(withNpm).toHaveLength(1);
  });
});
