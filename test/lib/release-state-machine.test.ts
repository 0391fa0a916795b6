import aslValidator from 'asl-validator';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { MAX_EXPIRY_HOURS } from '../../lambdas/core/catalog/constants';
import { defined } from '../../lambdas/core/defined';
import { RETRYABLE_ERRORS } from '../../lambdas/core/errors';
import {
  NOT_RELEASED_ERROR,
  RECORD_FAILED_ERROR,
  RELEASE_TIMEOUTS,
  ReleaseStateMachine,
  type ReleaseStateMachineProps,
} from '../../lib/release-state-machine';
import { type AslDefinition, type AslState, nagFindings, renderDefinition, testApp } from './fixtures';

const STEPS = ['loadService', 'build', 'test', 'stage', 'requestApproval', 'deploy', 'record'] as const;

function machine(extra: Partial<ReleaseStateMachineProps> = {}) {
  const { stack, releases, fns } = unsynthesized(extra);
  const template = Template.fromStack(stack);
  return { stack, releases, template, definition: renderDefinition(template), fns };
}

function unsynthesized(extra: Partial<ReleaseStateMachineProps> = {}) {
  const stack = new Stack(testApp(), 'Test');
  const fns = Object.fromEntries(
    STEPS.map((step) => [
      step,
      new lambda.Function(stack, step, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      }),
    ]),
  ) as Record<(typeof STEPS)[number], lambda.Function>;
  const releases = new ReleaseStateMachine(stack, 'Releases', {
    ...fns,
    stateMachineName: 'SluiceRelease',
    ...extra,
  });
  return { stack, releases, fns };
}

const built = machine();
const { definition, template } = built;
const states = definition.States;
const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');

/** Follows the definition from StartAt, deciding each Choice against `doc`, and returns the states passed. */
function walk(def: AslDefinition, doc: Record<string, unknown>): string[] {
  const get = (path: string) =>
    path
      .slice(2)
      .split('.')
      .reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], doc);
  const passed: string[] = [];
  let name: string | undefined = def.StartAt;
  while (name) {
    passed.push(name);
    if (passed.length > 50) throw new Error('loop');
    const state: AslState = defined(def.States[name], `state ${name}`);
    if (state.Type === 'Choice') {
      const rules = state.Choices as { Variable: string; StringEquals: string; Next: string }[];
      name = rules.find((r) => get(r.Variable) === r.StringEquals)?.Next ?? (state.Default as string);
    } else {
      name = state.Next as string | undefined;
    }
  }
  return passed;
}

describe('ReleaseStateMachine definition', () => {
  it('is valid Amazon States Language', () => {
    // structuredClone: the validator writes the default QueryLanguage into the states it checks.
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only (the local interpreter does not support JSONata)', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/JSONata/i);
    expect(text).not.toContain('{%');
    for (const state of Object.values(states)) {
      expect(state).not.toHaveProperty('Arguments');
      expect(state).not.toHaveProperty('Output');
      expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    }
  });

  it('has the contract state names and starts at LoadService', () => {
    expect(definition.StartAt).toBe('LoadService');
    expect(Object.keys(states).sort()).toEqual(
      [
        'LoadService',
        'Build',
        'Test',
        'Stage',
        'Mode',
        'RequestApproval',
        'ApprovalDecision',
        'ScheduledRelease',
        'Deploy',
        'Record',
        'Outcome',
        'Released',
        'NotReleased',
        'RecordFailed',
        'LoadServiceFailed',
        'BuildFailed',
        'TestFailed',
        'StageFailed',
        'ApprovalFailed',
        'DeployFailed',
      ].sort(),
    );
  });

  it('splits delivery from deployment at exactly one Choice, on $.release.mode', () => {
    const onMode = Object.entries(states).filter(
      ([, s]) => s.Type === 'Choice' && JSON.stringify(s.Choices).includes('$.release.mode'),
    );
    expect(onMode.map(([name]) => name)).toEqual(['Mode']);
    expect(states.Mode?.Choices).toEqual([
      { Variable: '$.release.mode', StringEquals: 'delivery', Next: 'RequestApproval' },
    ]);
    expect(states.Mode?.Default).toBe('Deploy');
    expect(states.ApprovalDecision?.Choices).toEqual([
      { Variable: '$.approval.decision', StringEquals: 'approved', Next: 'ScheduledRelease' },
    ]);
    expect(states.ApprovalDecision?.Default).toBe('Record');
    // The approved release waits until its release time (requested, or the next open window), then deploys.
    expect(states.ScheduledRelease).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.approval.releaseAt',
      Next: 'Deploy',
    });
  });

  it('invokes the plain steps with the whole state as payload (Resource is the function ARN)', () => {
    const expected = {
      LoadService: { TimeoutSeconds: 60 },
      Build: { ResultPath: '$.build', TimeoutSeconds: 900 },
      Test: { ResultPath: '$.test', TimeoutSeconds: 900 },
      Stage: { ResultPath: '$.stage', TimeoutSeconds: RELEASE_TIMEOUTS.stage },
      Record: { ResultPath: '$.outcome', TimeoutSeconds: 60 },
    };
    // LoadService's output replaces the document: no ResultPath (the default), never an explicit '$'.
    expect(states.LoadService).not.toHaveProperty('ResultPath');
    for (const [name, props] of Object.entries(expected)) {
      expect(states[name]).toMatchObject(props);
      expect(states[name]?.Resource).toMatch(/^arn:aws:lambda:local:000000000000:function:/);
      expect(states[name]).not.toHaveProperty('Parameters');
      expect(states[name]).not.toHaveProperty('OutputPath');
    }
  });

  it('pauses RequestApproval and Deploy on a task token, never polls', () => {
    for (const name of ['RequestApproval', 'Deploy']) {
      expect(states[name]?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      const payload = states[name]?.Parameters?.Payload as Record<string, string>;
      expect(payload['taskToken.$']).toBe('$$.Task.Token');
      expect(states[name]?.Parameters?.FunctionName).toMatch(/:function:/);
    }
    expect(states.RequestApproval?.Parameters?.Payload).toEqual({
      'taskToken.$': '$$.Task.Token',
      'releaseId.$': '$.releaseId',
      'release.$': '$.release',
      'config.$': '$.config',
      'build.$': '$.build',
      'test.$': '$.test',
      'stage.$': '$.stage',
    });
    expect(states.RequestApproval).toMatchObject({
      ResultPath: '$.approval',
      TimeoutSeconds: RELEASE_TIMEOUTS.requestApproval,
    });
    expect(states.Deploy?.Parameters?.Payload).toEqual({
      'taskToken.$': '$$.Task.Token',
      'releaseId.$': '$.releaseId',
      'release.$': '$.release',
      'config.$': '$.config',
      'stage.$': '$.stage',
    });
    expect(states.Deploy).toMatchObject({ ResultPath: '$.deploy', TimeoutSeconds: 10800, Next: 'Record' });
    // The one Wait is the scheduled release time: entered once, never a polling loop.
    const waits = Object.entries(states).filter(([, s]) => s.Type === 'Wait');
    expect(waits.map(([name]) => name)).toEqual(['ScheduledRelease']);
    expect(waits[0]?.[1]).not.toHaveProperty('Seconds');
  });

  it('gives every Task a timeout', () => {
    expect(tasks).toHaveLength(7);
    for (const [, state] of tasks) expect(state.TimeoutSeconds).toBeGreaterThan(0);
    expect(RELEASE_TIMEOUTS.deploy).toBe(10800);
  });

  it('lets the longest approval expire before its task times out, so it is recorded as expired, not failed', () => {
    // At expiresAfterHours = MAX_EXPIRY_HOURS the expiry schedule must fire while the task still waits.
    const longestExpiry = MAX_EXPIRY_HOURS * 3600;
    expect(states.RequestApproval?.TimeoutSeconds).toBeGreaterThan(longestExpiry);
    // Scheduler fires within a minute of its time; an hour keeps the order beyond doubt.
    expect(states.RequestApproval?.TimeoutSeconds).toBeGreaterThanOrEqual(longestExpiry + 3600);
  });

  it('retries exactly the retryable errors, once per Task, with backoff', () => {
    for (const [, state] of tasks) {
      expect(state.Retry).toEqual([
        { ErrorEquals: [...RETRYABLE_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 },
      ]);
    }
  });

  it('catches every stage into its own <Stage>Failed state, which records the stage and goes to Record', () => {
    const caught = {
      LoadService: 'LoadService',
      Build: 'Build',
      Test: 'Test',
      Stage: 'Stage',
      RequestApproval: 'Approval',
      Deploy: 'Deploy',
    };
    for (const [task, stage] of Object.entries(caught)) {
      expect(states[task]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${stage}Failed` },
      ]);
      expect(states[`${stage}Failed`]).toEqual({
        Type: 'Pass',
        Result: { stage },
        ResultPath: '$.failedStage',
        Next: 'Record',
      });
    }
    expect(states.Record?.Next).toBe('Outcome');
  });

  it('catches a Record that failed for good into RecordFailed, which fails the execution with a named error', () => {
    // Record's own retries come first; only then the Catch, so a transient Lambda error is not a failure.
    expect(states.Record?.Retry).toEqual([expect.objectContaining({ ErrorEquals: [...RETRYABLE_ERRORS] })]);
    expect(states.Record?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailure', Next: 'RecordFailed' },
    ]);
    // The execution ends FAILED: the status-change rule hands it to execution-events, which records it.
    expect(states.RecordFailed).toMatchObject({ Type: 'Fail', Error: RECORD_FAILED_ERROR });
    expect(RECORD_FAILED_ERROR).toBe('RecordFailed');
  });

  it('ends in Released only when the outcome succeeded', () => {
    expect(states.Outcome).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.outcome.status', StringEquals: 'succeeded', Next: 'Released' }],
      Default: 'NotReleased',
    });
    expect(states.Released?.Type).toBe('Succeed');
    expect(states.NotReleased).toMatchObject({ Type: 'Fail', Error: NOT_RELEASED_ERROR });
    expect(NOT_RELEASED_ERROR).toBe('ReleaseNotDeployed');
  });

  it('passes 9 states on a green deployment-mode release and 12 on an approved delivery', () => {
    const succeeded = { outcome: { status: 'succeeded' } };
    expect(walk(definition, { release: { mode: 'deployment' }, ...succeeded })).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'Mode',
      'Deploy',
      'Record',
      'Outcome',
      'Released',
    ]);
    expect(
      walk(definition, { release: { mode: 'delivery' }, approval: { decision: 'approved' }, ...succeeded }),
    ).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'Mode',
      'RequestApproval',
      'ApprovalDecision',
      'ScheduledRelease',
      'Deploy',
      'Record',
      'Outcome',
      'Released',
    ]);
    expect(
      walk(definition, {
        release: { mode: 'delivery' },
        approval: { decision: 'rejected' },
        outcome: { status: 'rejected' },
      }),
    ).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'Mode',
      'RequestApproval',
      'ApprovalDecision',
      'Record',
      'Outcome',
      'NotReleased',
    ]);
  });
});

describe('ReleaseStateMachine resource', () => {
  it('is a Standard workflow with X-Ray and ALL-level logging without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'SluiceRelease',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });

  it('encrypts its log group with the key it is given', () => {
    const s = new Stack(testApp(), 'Keyed');
    const fn = lambda.Function.fromFunctionArn(s, 'Fn', 'arn:aws:lambda:us-east-1:123456789012:function:f');
    const key = new kms.Key(s, 'Key');
    new ReleaseStateMachine(s, 'Releases', {
      loadService: fn,
      build: fn,
      test: fn,
      stage: fn,
      requestApproval: fn,
      deploy: fn,
      record: fn,
      encryptionKey: key,
    });
    Template.fromStack(s).hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
  });

  it('grants task responses and start on the named ARN, with no reference to the state machine', () => {
    const { stack, releases } = unsynthesized();
    const role = new iam.Role(stack, 'Resumer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    releases.grantTaskResponse(role);
    releases.grantStartExecution(role);
    const arn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':states:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':stateMachine:SluiceRelease',
        ],
      ],
    };
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Resumer') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
            Resource: arn,
          },
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: arn },
        ],
      },
    });
  });

  it('grants only the task outcomes asked for, and refuses a grant of none', () => {
    const { stack, releases } = unsynthesized();
    const role = new iam.Role(stack, 'Expirer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    releases.grantTaskResponse(role, ['failure']);
    expect(() => releases.grantTaskResponse(role, [])).toThrow(/at least one outcome/);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Expirer') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:SendTaskFailure' })] },
    });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    // The construct only: the test's inline functions are not its concern.
    expect(nagFindings(built.releases)).toEqual([]);
  });

  it('rejects an invalid state machine name, showing it', () => {
    expect(() => machine({ stateMachineName: 'has spaces' })).toThrow(
      /stateMachineName .*received "has spaces"/,
    );
  });
});
