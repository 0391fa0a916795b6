import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ALARM_PROPERTY } from '../../lambdas/alarm-provider/alarm-provider';
import { DEPLOY_STRATEGIES, type ServiceConfig } from '../../lambdas/core/catalog/types';
import { serviceAlarmDefinitions, UNRELEASED_VERSION } from '../../lambdas/core/service-alarms';
import { ALARM_PROVIDER_FUNCTION_NAME } from '../../lib/alarm-provider';
import { ALARM_METADATA_KEY, alarmDefinitionsInTemplate } from '../../lib/canary-alarms';
import { smokeHookFunctionName } from '../../lib/post-traffic-smoke';
import {
  deploymentConfigFor,
  LIVE_ALIAS,
  SluiceService,
  type SluiceServiceProps,
} from '../../lib/sluice-service';
import { nagFindings, service, testApp } from './fixtures';

function synth(config: ServiceConfig = service('hello'), extra: Partial<SluiceServiceProps> = {}) {
  const stack = new Stack(testApp(), 'Svc');
  const construct = new SluiceService(stack, 'Service', { service: config, ...extra });
  return { stack, construct, template: Template.fromStack(stack) };
}

/** The provider's ARN as a service stack names it: the pipeline stack's function, in the same account and region. */
const providerArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':lambda:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:function:${ALARM_PROVIDER_FUNCTION_NAME}`,
    ],
  ],
};

describe('SluiceService', () => {
  const config = service('orders', {
    runtime: { handler: 'main' },
    deploy: {
      strategy: 'Linear10PercentEvery3Minutes',
      alarms: { errorRatePercent: 2.5, p99LatencyMs: 750 },
    },
  });
  const { template, construct, stack } = synth(config);

  it('creates sluice-<name> with the catalog handler and a 503 placeholder until the first release', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'sluice-orders',
      Runtime: 'nodejs22.x',
      Handler: 'index.main',
      Code: { ZipFile: Match.stringLikeRegexp('exports\\.main = async [\\s\\S]*statusCode: 503') },
    });
  });

  it('serves live traffic through a live alias on the initial version, published once', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: LIVE_ALIAS,
      FunctionVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('InitialVersion'), 'Version'] },
    });
    template.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('AWS::Lambda::Version', 1);
    expect(construct.alias.aliasName).toBe('live');
  });

  it('shifts the alias with CodeDeploy as the catalog strategy says, rolling back on failure, stop or alarm', () => {
    template.hasResourceProperties('AWS::CodeDeploy::Application', {
      ApplicationName: 'sluice-orders',
      ComputePlatform: 'Lambda',
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'sluice-orders',
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayEquals([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_REQUEST',
          'DEPLOYMENT_STOP_ON_ALARM',
        ]),
      },
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [{ Name: 'sluice-orders-error-rate' }, { Name: 'sluice-orders-p99-latency' }],
      },
    });
    template.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: Match.objectLike({ DeploymentGroupName: Match.anyValue() }),
      },
    });
  });

  it('creates its canary alarms once, from the one definition, judging no version yet', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const created = Object.values(template.findResources('Custom::SluiceServiceAlarm'));
    const definitions = serviceAlarmDefinitions(config, UNRELEASED_VERSION);
    expect(created.map((r) => r.Metadata?.[ALARM_METADATA_KEY])).toEqual(definitions);
    for (const [i, resource] of created.entries()) {
      // The whole definition as JSON (CloudFormation would pass numbers as strings), and nothing else: the
      // provider creates it, never rewrites it on update, and deletes it (test/lambdas/alarm-provider).
      expect(resource.Properties).toEqual({
        ServiceToken: providerArn,
        ServiceTimeout: '600',
        [ALARM_PROPERTY]: JSON.stringify(definitions[i]),
      });
    }
    // What the local CloudWatch reads from the synthesized template.
    expect(alarmDefinitionsInTemplate(template.toJSON())).toEqual(definitions);
    expect(construct.alarms.map((a) => a.alarmName)).toEqual([
      'sluice-orders-error-rate',
      'sluice-orders-p99-latency',
    ]);
  });

  it('names only alarms that exist: the deployment group waits for them to be created', () => {
    const [group] = Object.values(template.findResources('AWS::CodeDeploy::DeploymentGroup'));
    const creators = Object.keys(template.findResources('Custom::SluiceServiceAlarm'));
    expect(creators).toHaveLength(2);
    expect(group?.DependsOn).toEqual(expect.arrayContaining(creators));
  });

  it("uses the pipeline's one alarm provider, by ARN: no provider function, role or grant of its own", () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(JSON.stringify(statements)).not.toContain('cloudwatch:');
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('adds the business alarm when the catalog names one, and puts it on the deployment group', () => {
    const business = {
      namespace: 'Shop',
      metricName: 'SignUps',
      dimensions: { Service: 'orders' },
      statistic: 'Sum' as const,
      threshold: 3,
      direction: 'below' as const,
      periods: 2,
    };
    const withBusiness = service('orders', {
      deploy: { strategy: 'AllAtOnce', alarms: { errorRatePercent: 5, p99LatencyMs: 1000, business } },
    });
    const built = synth(withBusiness);
    const created = Object.values(built.template.findResources('Custom::SluiceServiceAlarm'));
    expect(created.map((r) => r.Metadata?.[ALARM_METADATA_KEY])).toEqual(
      serviceAlarmDefinitions(withBusiness, UNRELEASED_VERSION),
    );
    expect(built.construct.alarms).toHaveLength(3);
    const group = built.template.findResources('AWS::CodeDeploy::DeploymentGroup');
    const alarms = Object.values(group)[0]?.Properties.AlarmConfiguration;
    expect(alarms).toEqual({
      Enabled: true,
      Alarms: [
        { Name: 'sluice-orders-error-rate' },
        { Name: 'sluice-orders-p99-latency' },
        { Name: 'sluice-orders-business' },
      ],
    });
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it('adds a post-traffic smoke hook when asked: CodeDeployHook_ name, PostHook, least privilege, nag clean', () => {
    const stack = new Stack(testApp(), 'Hooked');
    const built = new SluiceService(stack, 'Service', { service: service('orders'), postTrafficSmoke: true });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'CodeDeployHook_sluice-orders-smoke',
      Environment: { Variables: { SLUICE_SMOKE_SERVICE: 'orders', SLUICE_SMOKE_REQUEST: Match.anyValue() } },
    });
    const alias = Object.values(t.findResources('AWS::Lambda::Alias'))[0];
    expect(JSON.stringify(alias?.UpdatePolicy)).toContain('AfterAllowTrafficHook');
    // The deployment group grants its hook PutLifecycleEventHookExecutionStatus on that group, once.
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const hookStatus = statements.filter(
      (s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus',
    );
    expect(hookStatus).toHaveLength(1);
    expect(JSON.stringify(hookStatus[0]?.Resource)).toMatch(
      /:deploymentgroup:.*ServiceApplication.*ServiceDeploymentGroup/,
    );
    expect(built.postTrafficHook).toBeDefined();
    expect(nagFindings(stack)).toEqual([]);
  });

  it("names the smoke hook within Lambda's 64 characters for the longest names, keeping CodeDeployHook_", () => {
    // The catalog allows 40 characters; the construct itself up to 57 (sluice-<name> is a function name).
    const names = ['a'.repeat(39) + 'x', 'a'.repeat(39) + 'y', 'b'.repeat(57)];
    const hooks = names.map((name) => {
      const stack = new Stack(testApp(), `Long${name.length}`);
      const built = new SluiceService(stack, 'Service', { service: service(name), postTrafficSmoke: true });
      const hook = built.postTrafficHook?.function.node.defaultChild as lambda.CfnFunction;
      return hook.functionName as string;
    });
    for (const hook of hooks) {
      expect(hook.length).toBeLessThanOrEqual(64);
      expect(hook).toMatch(/^CodeDeployHook_sluice-/);
    }
    expect(new Set(hooks).size).toBe(hooks.length);
    expect(smokeHookFunctionName('orders')).toBe('CodeDeployHook_sluice-orders-smoke');
  });

  it('puts the live alias in front of callers: a function URL on the alias, IAM auth by default', () => {
    const [alias] = Object.keys(template.findResources('AWS::Lambda::Alias'));
    const [fn] = Object.keys(template.findResources('AWS::Lambda::Function'));
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
      Qualifier: 'live',
    });
    template.hasResource('AWS::Lambda::Url', { DependsOn: Match.arrayWith([alias]) });
    // IAM auth: no resource policy opens it; callers need lambda:InvokeFunctionUrl of their own.
    template.resourceCountIs('AWS::Lambda::Permission', 0);
    expect(construct.functionUrl).toBeDefined();
  });

  it('makes the URL public when the catalog says NONE (the service authenticates callers itself)', () => {
    const { template: t } = synth(service('pay', { functionUrl: { authType: 'NONE' } }));
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', Qualifier: 'live' });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      Principal: '*',
      FunctionUrlAuthType: 'NONE',
      FunctionName: { Ref: Match.stringLikeRegexp('Live') },
    });
    // Since October 2025 a new function URL also needs lambda:InvokeFunction, via the URL only.
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: '*',
      InvokedViaFunctionUrl: true,
      FunctionName: { Ref: Match.stringLikeRegexp('Live') },
    });
  });

  it('leaves the URL out when asked, for services behind API Gateway or event sources (they use the alias)', () => {
    const { template: t, construct: c } = synth(service('pay'), { functionUrl: false });
    t.resourceCountIs('AWS::Lambda::Url', 0);
    expect(c.functionUrl).toBeUndefined();
    expect(c.alias.aliasName).toBe('live');
  });

  it("sends the alarms' state changes where it is told, through EventBridge (the alarms carry no actions)", () => {
    const s = new Stack(testApp(), 'WithNotifications');
    const ops = new sns.Topic(s, 'Ops');
    new SluiceService(s, 'Service', {
      service: service('pay'),
      alarmNotifications: [new targets.SnsTopic(ops)],
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: ['sluice-pay-error-rate', 'sluice-pay-p99-latency'],
          state: { value: ['ALARM', 'OK'] },
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Ops') } })],
    });
    for (const created of Object.values(t.findResources('Custom::SluiceServiceAlarm'))) {
      expect(JSON.parse(created.Properties[ALARM_PROPERTY]).AlarmActions).toBeUndefined();
    }
  });

  it('takes the initial code it is given', () => {
    const { template: t } = synth(service('pay'), {
      code: lambda.Code.fromInline('exports.handler = () => 1'),
    });
    t.hasResourceProperties('AWS::Lambda::Function', { Code: { ZipFile: 'exports.handler = () => 1' } });
  });
});

describe('SluiceService validation', () => {
  it('maps every catalog strategy to its CodeDeploy configuration', () => {
    for (const strategy of DEPLOY_STRATEGIES) {
      expect(deploymentConfigFor(strategy).deploymentConfigName).toBe(`CodeDeployDefault.Lambda${strategy}`);
    }
  });

  it('rejects an unknown strategy, naming it and the allowed list', () => {
    const bad = service('hello', { deploy: { strategy: 'Canary50Percent' as never } });
    expect(() => synth(bad)).toThrow(
      /deploy.strategy "Canary50Percent" is not a CodeDeploy Lambda configuration; use one of: AllAtOnce, Canary10Percent5Minutes/,
    );
    expect(() => deploymentConfigFor('toString')).toThrow(/"toString"/);
  });

  it('rejects a bad service name, handler or thresholds, showing the value', () => {
    expect(() => synth(service('Bad_Name'))).toThrow(/service.name .*received "Bad_Name"/);
    expect(() => synth(service('hello', { runtime: { handler: 'not-an-identifier' } }))).toThrow(
      /runtime.handler .*received "not-an-identifier"/,
    );
    expect(() => synth(service('hello', { deploy: { alarms: { errorRatePercent: 0 } } }))).toThrow(
      /deploy.alarms.errorRatePercent must be a number above 0; received 0/,
    );
    expect(() => synth(service('hello', { deploy: { alarms: { errorRatePercent: 150 } } }))).toThrow(
      /errorRatePercent is a percentage .*received 150/,
    );
    expect(() => synth(service('hello', { deploy: { alarms: { p99LatencyMs: -1 } } }))).toThrow(
      /p99LatencyMs .*received -1/,
    );
  });
});
