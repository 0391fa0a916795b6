/**
 * The local event bus delivers by the synthesized template's rules only: AWS's documented sample events reach a
 * handler exactly when the rule CDK rendered would deliver them in AWS, with the target's input applied.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { pushEventEntry } from '../../../lambdas/core/push-routing';
import type { HandlerName } from '../../../lambdas/runtime/env';
import {
  type BusEvent,
  EventDeliveryError,
  LocalEventBus,
  type LocalEventBusOptions,
} from '../../../local/adapters/local-event-bus';
import { InvalidEventPatternError } from '../../../local/aws/eventbridge/pattern';
import { UnsupportedRuleError } from '../../../local/aws/eventbridge/rules';
import { type CfnTemplate, extractLocalDefinition } from '../../../local/definition';
import { sharedPipelineTemplate } from '../../support/shared';
import {
  cloudWatchAlarmStateChange,
  cloudWatchMetricMathAlarmStateChange,
  codeCommitPullRequestCreated,
  codeCommitReferenceCreated,
  codeCommitReferenceDeleted,
  codeCommitReferenceUpdated,
  codeCommitTagCreated,
  codeDeployDeploymentSuccess,
  codeDeployInstanceSuccess,
  stepFunctionsExecutionAborted,
} from '../aws/eventbridge/aws-sample-events';

interface Call {
  readonly handler: HandlerName;
  readonly payload: unknown;
}

function recordingBus(template: CfnTemplate, options: Partial<LocalEventBusOptions> = {}) {
  const calls: Call[] = [];
  const bus = LocalEventBus.fromTemplate(template, {
    invoke: async (handler, payload) => {
      calls.push({ handler, payload });
      return handler === 'router' ? { releases: [] } : { handled: true };
    },
    clock: { now: () => new Date('2026-03-01T12:00:00.250Z') },
    ...options,
  });
  return { bus, calls };
}

const withDetail = <E extends { detail: object }>(event: E, detail: Partial<E['detail']>): E => ({
  ...event,
  detail: { ...event.detail, ...detail },
});

let template: CfnTemplate;
beforeAll(async () => {
  // The run's pipeline template (synthesized once per run by the same synthPipelineTemplate, from the project's
  // catalog): the rules do not depend on which services the catalog holds.
  template = await sharedPipelineTemplate();
});

describe('the synthesized rules', () => {
  it('are the only routes: five rules, each to one handler, on the bus CDK put it on', () => {
    const { bus } = recordingBus(template);
    const routes = bus.eventRules.map((r) => ({
      rule: r.logicalId.replace(/[0-9A-F]{8}$/, ''),
      bus: r.busName,
      targets: r.targets.length,
    }));
    expect(routes).toEqual(
      expect.arrayContaining([
        { rule: 'DeploymentStateChange', bus: 'default', targets: 1 },
        { rule: 'ContinuousDeploymentAlarmStateChange', bus: 'default', targets: 1 },
        { rule: 'TriggersCodeCommitPush', bus: 'default', targets: 1 },
        { rule: 'TriggersNormalizedPush', bus: 'SluicePipeline-events', targets: 1 },
        { rule: 'ExecutionStatusChange', bus: 'default', targets: 1 },
      ]),
    );
    expect(routes).toHaveLength(5);
    expect(bus.pushBusName).toBe('SluicePipeline-events');
  });
});

describe('Step Functions Execution Status Change (AWS sample)', () => {
  it("delivers the release machine's failed, timed-out and aborted executions to execution-events, nothing else", async () => {
    const { bus, calls } = recordingBus(template);
    const { stateMachineArn } = extractLocalDefinition(template);
    // The sample names another state machine: the rule is on Sluice's release machine only.
    expect(await bus.emit(stepFunctionsExecutionAborted as BusEvent)).toEqual([]);
    const ours = withDetail(stepFunctionsExecutionAborted, { stateMachineArn });
    for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) {
      await bus.emit(withDetail(ours, { status }) as BusEvent);
    }
    expect(calls.map((c) => [c.handler, (c.payload as typeof ours).detail.status])).toEqual([
      ['execution-events', 'FAILED'],
      ['execution-events', 'TIMED_OUT'],
      ['execution-events', 'ABORTED'],
    ]);
  });
});

describe('CodeCommit Repository State Change (AWS samples)', () => {
  it('delivers a created or updated branch to the router, as the event itself', async () => {
    const { bus, calls } = recordingBus(template);
    await bus.emit(codeCommitReferenceCreated as BusEvent);
    await bus.emit(codeCommitReferenceUpdated as BusEvent);
    expect(calls).toEqual([
      { handler: 'router', payload: codeCommitReferenceCreated },
      { handler: 'router', payload: codeCommitReferenceUpdated },
    ]);
  });

  it('delivers no deleted branch, no tag, no pull request, and no detail-type in another case', async () => {
    const { bus, calls } = recordingBus(template);
    for (const event of [
      codeCommitReferenceDeleted,
      codeCommitTagCreated,
      codeCommitPullRequestCreated,
      { ...codeCommitReferenceCreated, 'detail-type': 'CodeCommit repository state change' },
      { ...codeCommitReferenceCreated, source: 'aws.codecommit.other' },
    ]) {
      expect(await bus.emit(event as BusEvent)).toEqual([]);
    }
    expect(calls).toEqual([]);
  });

  it('hears CodeCommit on the default bus only: the same event on the Sluice bus reaches nobody', async () => {
    const { bus, calls } = recordingBus(template);
    const [entry] = await bus.putEvents([
      {
        EventBusName: bus.pushBusName,
        Source: 'codecommit.lookalike',
        DetailType: codeCommitReferenceCreated['detail-type'],
        Detail: JSON.stringify(codeCommitReferenceCreated.detail),
      },
    ]);
    expect(entry?.deliveries).toEqual([]);
    // And nobody may publish as an AWS service.
    const [forged] = await bus.putEvents([
      { Source: 'aws.codecommit', DetailType: 'CodeCommit Repository State Change', Detail: '{}' },
    ]);
    expect(forged?.errorCode).toBe('NotAuthorizedForSourceException');
    expect(calls).toEqual([]);
  });
});

describe('CodeDeploy Deployment State-change Notification (AWS sample)', () => {
  it("delivers a sluice-* application's end to deployment-events; not another application's, not a start", async () => {
    const { bus, calls } = recordingBus(template);
    const ours = withDetail(codeDeployDeploymentSuccess, {
      application: 'sluice-checkout',
      deploymentGroup: 'sluice-checkout',
    });
    expect(await bus.emit(codeDeployDeploymentSuccess as BusEvent)).toEqual([]); // myApplication
    expect(await bus.emit(withDetail(ours, { state: 'START' }) as BusEvent)).toEqual([]);
    expect(await bus.emit(withDetail(ours, { state: 'READY' }) as BusEvent)).toEqual([]);
    expect(
      await bus.emit({ ...ours, 'detail-type': codeDeployInstanceSuccess['detail-type'] } as BusEvent),
    ).toEqual([]);
    for (const state of ['SUCCESS', 'FAILURE', 'STOP']) {
      await bus.emit(withDetail(ours, { state }) as BusEvent);
    }
    expect(calls.map((c) => [c.handler, (c.payload as typeof ours).detail.state])).toEqual([
      ['deployment-events', 'SUCCESS'],
      ['deployment-events', 'FAILURE'],
      ['deployment-events', 'STOP'],
    ]);
  });
});

describe('CloudWatch Alarm State Change (AWS samples)', () => {
  it("delivers a sluice-* alarm's change to ALARM to alarm-events, and nothing else", async () => {
    const { bus, calls } = recordingBus(template);
    const ours = withDetail(cloudWatchAlarmStateChange, { alarmName: 'sluice-checkout-error-rate' });
    expect(await bus.emit(cloudWatchAlarmStateChange as BusEvent)).toEqual([]); // ServerCpuTooHigh
    expect(
      await bus.emit(
        withDetail(ours, { state: { ...ours.detail.state, value: 'OK' } }) as unknown as BusEvent,
      ),
    ).toEqual([]);
    for (const alarmName of ['checkout-sluice-error-rate', 'Sluice-checkout-error-rate', 'sluicecheckout']) {
      expect(await bus.emit(withDetail(ours, { alarmName }) as BusEvent)).toEqual([]);
    }
    await bus.emit(ours as BusEvent);
    await bus.emit(
      withDetail(cloudWatchMetricMathAlarmStateChange, { alarmName: 'sluice-checkout-orders' }) as BusEvent,
    );
    expect(calls.map((c) => [c.handler, (c.payload as typeof ours).detail.alarmName])).toEqual([
      ['alarm-events', 'sluice-checkout-error-rate'],
      ['alarm-events', 'sluice-checkout-orders'],
    ]);
  });
});

describe('Sluice pushes (PutEvents on the Sluice bus)', () => {
  const push = {
    source: 'github' as const,
    repository: 'acme/checkout',
    branch: 'main',
    after: 'a'.repeat(40),
  };

  it('delivers a push published where the webhook publishes, and not one on the default bus', async () => {
    const { bus, calls } = recordingBus(template);
    await bus.publish(push);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      handler: 'router',
      payload: {
        version: '0',
        source: 'sluice.github',
        'detail-type': 'Sluice Push',
        account: '000000000000',
        region: 'local',
        time: '2026-03-01T12:00:00Z',
        resources: [],
        detail: push,
      },
    });
    const [onDefault] = await bus.putEvents([pushEventEntry(push)]);
    expect(onDefault?.errorCode).toBeUndefined();
    expect(onDefault?.deliveries).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('refuses entries PutEvents refuses', async () => {
    const { bus } = recordingBus(template);
    const results = await bus.putEvents([
      { ...pushEventEntry(push), EventBusName: 'nowhere' },
      { ...pushEventEntry(push), EventBusName: bus.pushBusName, Detail: '[1]' },
      { EventBusName: bus.pushBusName, Source: 'sluice.github', Detail: '{}' },
    ]);
    expect(results.map((r) => r.errorCode)).toEqual([
      'ResourceNotFoundException',
      'MalformedDetail',
      'InvalidArgument',
    ]);
  });

  it('reports a failed target: route() throws (the watcher retries), publish() logs it as EventBridge would retry', async () => {
    const lines: string[] = [];
    const bus = LocalEventBus.fromTemplate(template, {
      invoke: async () => {
        throw new Error('catalog unreadable');
      },
      log: (line) => lines.push(line),
    });
    await expect(bus.route({ ...push, source: 'local-git', repository: 'checkout' })).rejects.toThrow(
      EventDeliveryError,
    );
    await expect(bus.publish(push)).resolves.toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /sluice\.github \/ Sluice Push → rule .*NormalizedPush.* → router failed: catalog unreadable/,
    );
  });
});

describe('target input and rules the bus cannot stand in for', () => {
  /** A template with one rule, its target, and the webhook that names the bus pushes go to. */
  const templateWith = (rule: Record<string, unknown>): CfnTemplate => ({
    Resources: {
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'pushes' } },
      Hook: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'Sluice::Handler': 'github-webhook' },
        Properties: { Environment: { Variables: { SLUICE_EVENT_BUS_NAME: { Ref: 'Bus' } } } },
      },
      Events: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'Sluice::Handler': 'alarm-events' },
        Properties: { Timeout: 30 },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.cloudwatch'] },
          Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['Events', 'Arn'] } }],
          ...rule,
        },
      },
    },
  });

  it("applies the target's InputTransformer, with the rule's name and ARN", async () => {
    const calls: Call[] = [];
    const timeouts: number[] = [];
    const bus = LocalEventBus.fromTemplate(
      templateWith({
        Name: 'alarms',
        Targets: [
          {
            Id: 'Target0',
            Arn: { 'Fn::GetAtt': ['Events', 'Arn'] },
            InputTransformer: {
              InputPathsMap: { alarm: '$.detail.alarmName', state: '$.detail.state.value' },
              InputTemplate: '{"alarm": <alarm>, "state": <state>, "rule": <aws.events.rule-arn>}',
            },
          },
        ],
      }),
      {
        invoke: async (handler, payload, timeoutMs) => {
          calls.push({ handler, payload });
          timeouts.push(timeoutMs);
        },
      },
    );
    await bus.emit(cloudWatchAlarmStateChange as BusEvent);
    expect(calls).toEqual([
      {
        handler: 'alarm-events',
        payload: {
          alarm: 'ServerCpuTooHigh',
          state: 'ALARM',
          rule: 'arn:aws:events:local:000000000000:rule/alarms',
        },
      },
    ]);
    expect(timeouts).toEqual([30_000]);
  });

  it("applies the target's InputPath; a disabled rule delivers nothing", async () => {
    const { bus, calls } = recordingBus(
      templateWith({
        Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['Events', 'Arn'] }, InputPath: '$.detail.state' }],
      }),
    );
    await bus.emit(cloudWatchAlarmStateChange as BusEvent);
    expect(calls).toEqual([{ handler: 'alarm-events', payload: cloudWatchAlarmStateChange.detail.state }]);
    const disabled = recordingBus(templateWith({ State: 'DISABLED' }));
    await disabled.bus.emit(cloudWatchAlarmStateChange as BusEvent);
    expect(disabled.calls).toEqual([]);
  });

  it('refuses a template whose rule EventBridge would refuse, naming the rule', () => {
    expect(() => recordingBus(templateWith({ EventPattern: { source: [] } }))).toThrow(
      InvalidEventPatternError,
    );
    expect(() => recordingBus(templateWith({ EventPattern: { source: [] } }))).toThrow(
      /^Rule Rule: Event pattern is not valid. Reason: Empty arrays are not allowed$/,
    );
  });

  it('refuses what it cannot stand in for rather than dropping it: a non-Lambda target, a schedule', () => {
    expect(() =>
      recordingBus(templateWith({ Targets: [{ Id: 'Q', Arn: 'arn:aws:sqs:us-east-1:123456789012:queue' }] })),
    ).toThrow(UnsupportedRuleError);
    expect(() => recordingBus(templateWith({ ScheduleExpression: 'rate(1 hour)' }))).toThrow(
      /scheduled rules have no local stand-in/,
    );
  });
});
