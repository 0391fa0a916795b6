import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../lambdas/core/catalog/types';
import { defined } from '../../lambdas/core/defined';
import { LEDGER_KEYS } from '../../lambdas/ledger/ledger';
import { ENV, HANDLER_NAMES, type HandlerName } from '../../lambdas/runtime/env';
import { STAGE_UPDATE_WAIT_SECONDS } from '../../lambdas/stage/stage';
import { MAX_NAMED_REPOSITORIES } from '../../lib/grants';
import { SluicePipelineStack, type SluicePipelineStackProps } from '../../lib/pipeline-stack';
import { SluiceServiceStack } from '../../lib/service-stack';
import { testTempDir } from '../support/test-temp-dir';
import {
  type CfnResource,
  catalogOf,
  nagFindings,
  propsOf,
  renderDefinition,
  resourcesOf,
  service,
  testApp,
} from './fixtures';

function synth(catalog: Catalog = catalogOf(2), extra: Partial<SluicePipelineStackProps> = {}) {
  const stack = new SluicePipelineStack(testApp(), 'SluicePipeline', { catalog, ...extra });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();

/** The stack for catalogOf(n), synthesized once for the tests that only read it. */
const synthesizedOf = new Map<number, ReturnType<typeof synth>>();
function synthOf(n: number): ReturnType<typeof synth> {
  let synthesized = synthesizedOf.get(n);
  if (!synthesized) {
    synthesized = synth(catalogOf(n));
    synthesizedOf.set(n, synthesized);
  }
  return synthesized;
}
const resources = resourcesOf(template);

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Logical id of each handler's function, found by its Sluice::Handler metadata. */
const functionOf = Object.fromEntries(
  Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).map(([id, r]) => [
    r.Metadata?.['Sluice::Handler'],
    id,
  ]),
) as Record<HandlerName, string>;

/** Every Allow statement in the policies attached to the handler's role. */
function statementsOf(handler: HandlerName): Statement[] {
  const fn = resources[functionOf[handler]];
  const roleId = propsOf(defined(fn, 'fn')).Role as { 'Fn::GetAtt': [string] };
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId['Fn::GetAtt'][0] }]))
    .flatMap((p) => (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement);
}

function envOf(handler: HandlerName): Record<string, unknown> {
  const env = propsOf(defined(resources[functionOf[handler]], 'resources[functionOf[handler]]'))
    .Environment as { Variables: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}

function actionsOf(handler: HandlerName): string[] {
  return statementsOf(handler).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/**
 * The handlers inside the release (the trigger handlers, github-webhook and router, never touch the ledger, nor
 * does the test runner, the sandbox for service code, nor the alarm provider, which answers CloudFormation).
 */
const STEP_HANDLERS: readonly HandlerName[] = HANDLER_NAMES.filter(
  (h) => h !== 'github-webhook' && h !== 'router' && h !== 'test-runner' && h !== 'alarm-provider',
);

function holders(action: string): HandlerName[] {
  return HANDLER_NAMES.filter((h) => actionsOf(h).includes(action));
}

const stateMachineArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':stateMachine:SluicePipeline-Release',
    ],
  ],
};

describe('SluicePipelineStack ledger', () => {
  it('is one plain DynamoDB table with the ledger keys, GSI1, TTL, PITR and encryption, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: LEDGER_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEDGER_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: 'GSI1PK', AttributeType: 'S' },
          { AttributeName: 'GSI1SK', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'GSI1',
            KeySchema: [
              { AttributeName: 'GSI1PK', KeyType: 'HASH' },
              { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: LEDGER_KEYS.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('SluicePipelineStack artifact bucket', () => {
  it('is encrypted, private, versioned, expires old artifacts and is retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              ExpirationInDays: 90,
              NoncurrentVersionExpiration: { NoncurrentDays: 7 },
              Status: 'Enabled',
            }),
          ],
        },
      },
    });
  });

  it('denies requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('SluicePipelineStack handlers', () => {
  it('has one function per handler, each tagged with its Sluice::Handler metadata', () => {
    template.resourceCountIs('AWS::Lambda::Function', HANDLER_NAMES.length);
    expect(Object.keys(functionOf).sort()).toEqual([...HANDLER_NAMES].sort());
    // Logical ids are a contract with deployed stacks: the run-tests handler keeps the Test function's.
    expect(functionOf['run-tests']).toMatch(/^Test[0-9A-F]{8}$/);
    for (const handler of HANDLER_NAMES) {
      template.hasResource('AWS::Lambda::Function', {
        Metadata: Match.objectLike({ 'Sluice::Handler': handler }),
        Properties: Match.objectLike({
          Runtime: 'nodejs22.x',
          Architectures: ['x86_64'],
          Handler: 'index.handler',
        }),
      });
    }
  });

  it('gives every function its own log group with retention, X-Ray, and the ledger table name', () => {
    for (const handler of HANDLER_NAMES) {
      const props = resources[functionOf[handler]]?.Properties ?? {};
      // The test runner's role may write its logs and nothing else, X-Ray included (test/lib/test-runner.test.ts).
      expect(props.TracingConfig).toEqual(handler === 'test-runner' ? undefined : { Mode: 'Active' });
      expect(props.LoggingConfig).toMatchObject({ LogGroup: { Ref: expect.stringMatching(/LogGroup/) } });
      if (STEP_HANDLERS.includes(handler)) {
        expect(envOf(handler)[ENV.tableName]).toEqual({
          Ref: expect.stringMatching(/^Ledger/),
        });
      } else {
        expect(envOf(handler)).not.toHaveProperty(ENV.tableName);
      }
    }
    for (const group of Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays).toBeGreaterThan(0);
      expect(group.Properties?.KmsKeyId).toBeDefined();
    }
  });

  it('sizes build and test for esbuild (1769 MB, 15 min, 2 GB /tmp, esbuild layer), the rest small', () => {
    // The esbuild layer; the other one is the test runner's npm (test/lib/test-runner.test.ts).
    const layer = Object.entries(resourcesOf(template, 'AWS::Lambda::LayerVersion'))
      .filter(([, r]) => String(r.Properties?.Description).startsWith('esbuild'))
      .map(([id]) => id);
    expect(layer).toHaveLength(1);
    expect(Object.keys(resourcesOf(template, 'AWS::Lambda::LayerVersion'))).toHaveLength(2);
    for (const handler of ['build', 'run-tests'] as const) {
      expect(resources[functionOf[handler]]?.Properties).toMatchObject({
        MemorySize: 1769,
        Timeout: 900,
        EphemeralStorage: { Size: 2048 },
        Layers: [{ Ref: layer[0] }],
      });
    }
    const expected: Partial<Record<HandlerName, number>> = {
      'load-service': 60,
      stage: STAGE_UPDATE_WAIT_SECONDS + 60,
      'request-approval': 30,
      deploy: 60,
      record: 30,
      'deployment-events': 30,
      'approval-api': 10,
    };
    for (const [handler, timeout] of Object.entries(expected)) {
      expect(resources[functionOf[handler as HandlerName]]?.Properties).toMatchObject({
        MemorySize: 256,
        Timeout: timeout,
      });
      expect(resources[functionOf[handler as HandlerName]]?.Properties).not.toHaveProperty('Layers');
    }
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      Description: Match.stringLikeRegexp('^esbuild'),
      CompatibleRuntimes: ['nodejs22.x'],
      CompatibleArchitectures: ['x86_64'],
    });
  });

  it("gives Stage's code-update waiter room inside its Lambda timeout, and that timeout room inside the task's", () => {
    const lambdaTimeout = propsOf(defined(resources[functionOf.stage], 'resources[functionOf.stage]'))
      .Timeout as number;
    const taskTimeout = renderDefinition(template).States.Stage?.TimeoutSeconds as number;
    // Waiting for UpdateFunctionCode, then PublishVersion, the staging alias and one smoke request.
    expect(lambdaTimeout).toBeGreaterThanOrEqual(STAGE_UPDATE_WAIT_SECONDS + 60);
    // The function's own timeout ends a stuck attempt (a Lambda error the state machine retries), not the task's.
    expect(taskTimeout).toBeGreaterThan(lambdaTimeout);
  });

  it('ships the catalog as an asset read by load-service only', () => {
    const env = envOf('load-service');
    expect(env[ENV.catalogBucket]).toEqual({ 'Fn::Sub': expect.stringContaining('cdk-hnb659fds-assets') });
    expect(env[ENV.catalogKey]).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(holders('s3:GetObject')).toEqual(expect.arrayContaining(['load-service']));
    const catalogRead = statementsOf('load-service').find((s) =>
      JSON.stringify(s.Resource).includes(String(env[ENV.catalogKey])),
    );
    expect(catalogRead?.Action).toBe('s3:GetObject');
  });

  it('gives request-approval the approval page URL, the secret and the topic', () => {
    const env = envOf('request-approval');
    expect(env[ENV.approvalBaseUrl]).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ApprovalApiFunctionUrl/), 'FunctionUrl'],
    });
    expect(env[ENV.signingSecretArn]).toEqual({ Ref: expect.stringMatching(/^SigningSecret/) });
    expect(env[ENV.approvalTopicArn]).toEqual({ Ref: expect.stringMatching(/^ApprovalTopic/) });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [functionOf['approval-api'], 'Arn'] },
    });
  });

  it('routes CodeDeploy end states of sluice-* applications to deployment-events', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codedeploy'],
        'detail-type': ['CodeDeploy Deployment State-change Notification'],
        detail: { state: ['SUCCESS', 'FAILURE', 'STOP'], application: [{ prefix: 'sluice-' }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionOf['deployment-events'], 'Arn'] } })],
    });
  });

  it('routes failed, timed-out and stopped executions of the release state machine only to execution-events', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [stateMachineArn],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionOf['execution-events'], 'Arn'] } })],
    });
  });

  it('gives every EventBridge target and the approval-expiry schedules a retry policy and the encrypted dead-letter queue, which is alarmed', () => {
    const [queueId] = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
    expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue'))).toHaveLength(1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    const rules = Object.entries(resourcesOf(template, 'AWS::Events::Rule'));
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const [id, rule] of rules) {
      const targets = propsOf(rule).Targets as Record<string, unknown>[];
      expect(targets.length, id).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.RetryPolicy, id).toEqual({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
        expect(target.DeadLetterConfig, id).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
      }
    }
    // Only the rules may send to it, and only over TLS.
    const policy = JSON.stringify(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    expect(policy).toContain('events.amazonaws.com');
    expect(policy).toContain('aws:SecureTransport');
    // The approval expiries (EventBridge Scheduler) dead-letter there too, with their execution role.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^ApprovalGateSchedulerRole') }],
    });
    // A dead letter means a lost alarm, deployment end or push: it must be seen.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'SluicePipeline-dead-letters',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it('routes every sluice-* alarm going to ALARM to alarm-events, which may stop and roll back, nothing more', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'sluice-' }], state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionOf['alarm-events'], 'Arn'] } })],
    });
    const stop = statementsOf('alarm-events').find((s) =>
      JSON.stringify(s.Action).includes('StopDeployment'),
    );
    expect(stop?.Action).toEqual(['codedeploy:StopDeployment', 'codedeploy:GetDeployment']);
    expect(JSON.stringify(stop?.Resource)).toContain(':deploymentgroup:sluice-*/sluice-*');
    const services = new Set(actionsOf('alarm-events').map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['codedeploy', 'dynamodb', 'logs', 'xray']);
    const describe = statementsOf('deploy').find((s) => s.Action === 'cloudwatch:DescribeAlarms');
    expect(JSON.stringify(describe?.Resource)).toContain(':alarm:sluice-*');
  });

  it('encrypts the approval topic with KMS and requires TLS to publish', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });
});

describe('SluicePipelineStack least privilege', () => {
  it('lets only the handlers that answer tasks do so, each only with the outcome its code sends', () => {
    // A decision resumes (a rejection too); expiry and supersede fail; Deploy resumes an unchanged release;
    // deployment-events and Record resume or fail after a deployment ends; execution-events, like Record, hands
    // the lock to the next queued release and resumes or fails it.
    const outcomes: Partial<Record<HandlerName, string[]>> = {
      'approval-api': ['states:SendTaskSuccess'],
      'approval-expiry': ['states:SendTaskFailure'],
      'request-approval': ['states:SendTaskFailure'],
      deploy: ['states:SendTaskSuccess'],
      'deployment-events': ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      record: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      'execution-events': ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    };
    for (const handler of HANDLER_NAMES) {
      const states = statementsOf(handler).filter((s) => JSON.stringify(s.Action).match(/"states:SendTask/));
      const expected = outcomes[handler];
      if (!expected) {
        expect(states, handler).toEqual([]);
        continue;
      }
      // No heartbeats (none are sent), only on this state machine.
      expect(states, handler).toEqual([
        {
          Effect: 'Allow',
          Action: expected.length === 1 ? expected[0] : expected,
          Resource: stateMachineArn,
        },
      ]);
    }
    expect(holders('states:SendTaskHeartbeat')).toEqual([]);
    expect(holders('states:StartExecution')).toEqual(['router']);
  });

  it('gives approval-api nothing beyond its logs, tracing, ledger, secret and task responses', () => {
    const services = new Set(actionsOf('approval-api').map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'states', 'xray']);
  });

  it('scopes each AWS capability to the handlers that use it', () => {
    expect(holders('secretsmanager:GetSecretValue').sort()).toEqual([
      'approval-api',
      'build',
      'github-webhook',
      'load-service',
      'request-approval',
      'router',
      'run-tests',
    ]);
    expect(holders('events:PutEvents')).toEqual(['github-webhook']);
    expect(holders('codecommit:GetDifferences').sort()).toEqual(['load-service', 'router']);
    expect(holders('scheduler:CreateSchedule')).toEqual(['request-approval']);
    expect(holders('iam:PassRole')).toEqual(['request-approval']);
    expect(holders('sns:Publish')).toEqual(['request-approval']);
    expect(holders('lambda:UpdateFunctionCode')).toEqual(['stage']);
    // Test and Build (npm ci) invoke the test runner; Stage smoke-tests the staged version.
    expect(holders('lambda:InvokeFunction').sort()).toEqual(['build', 'run-tests', 'stage']);
    // Deploy starts a deployment; Record, deployment-events and execution-events hand the lock on and start
    // the next one.
    const starters = ['deploy', 'deployment-events', 'execution-events', 'record'];
    expect(holders('lambda:GetAlias').sort()).toEqual(starters);
    expect(holders('codedeploy:CreateDeployment').sort()).toEqual(starters);
    expect(holders('codedeploy:GetDeploymentConfig').sort()).toEqual(starters);
    expect(holders('cloudwatch:DescribeAlarms').sort()).toEqual(starters);
    // Before CreateDeployment the starters point the canary alarms at the new version; the alarm provider
    // creates them with their service stacks (and deletes them). Nothing else may write them.
    expect(holders('cloudwatch:PutMetricAlarm').sort()).toEqual(['alarm-provider', ...starters]);
    expect(holders('cloudwatch:DeleteAlarms')).toEqual(['alarm-provider']);
    expect(
      statementsOf('alarm-provider').filter((s) => JSON.stringify(s.Action).includes('cloudwatch:')),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
        Resource: [
          expect.objectContaining({
            'Fn::Join': ['', expect.arrayContaining([':alarm:sluice-*-error-rate'])],
          }),
          expect.objectContaining({
            'Fn::Join': ['', expect.arrayContaining([':alarm:sluice-*-p99-latency'])],
          }),
          expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':alarm:sluice-*-business'])] }),
        ],
      },
    ]);
    // …and clear an ALARM left about another version (PutMetricAlarm keeps the state).
    expect(holders('cloudwatch:SetAlarmState').sort()).toEqual(starters);
    // Record reads each canary's baseline (GetMetricData is authorized on * only).
    expect(holders('cloudwatch:GetMetricData')).toEqual(['record']);
    const judge = statementsOf('deploy').find((s) => [s.Action].flat().includes('cloudwatch:PutMetricAlarm'));
    expect(judge?.Action).toEqual(['cloudwatch:PutMetricAlarm', 'cloudwatch:SetAlarmState']);
    expect(((judge?.Resource ?? []) as unknown[]).map((r) => JSON.stringify(r))).toEqual([
      expect.stringMatching(/:alarm:sluice-\*-error-rate"/),
      expect.stringMatching(/:alarm:sluice-\*-p99-latency"/),
      expect.stringMatching(/:alarm:sluice-\*-business"/),
    ]);
    expect(holders('codedeploy:GetDeployment').sort()).toEqual([
      'alarm-events',
      'deployment-events',
      'execution-events',
      'record',
    ]);
    expect(holders('codedeploy:StopDeployment').sort()).toEqual([
      'alarm-events',
      'execution-events',
      'record',
    ]);
    expect(holders('s3:PutObject')).toEqual(['build']);
    // Stage reads the artifact (UpdateFunctionCode from S3, as the caller), Build an earlier attempt's to verify
    // it before a retry promotes it, and its install cache; only Build lists the bucket (a cache miss is
    // NoSuchKey, not AccessDenied).
    expect(holders('s3:GetObject').sort()).toEqual(['build', 'load-service', 'router', 'stage']);
    expect(holders('s3:GetObjectVersion')).toEqual([]);
    expect(holders('s3:ListBucket')).toEqual(['build']);
    expect(holders('codecommit:GetBlob').sort()).toEqual(['build', 'run-tests']);
    expect(holders('codecommit:GetBranch')).toEqual(['load-service']);
    expect(holders('kms:GenerateDataKey')).toEqual(['request-approval']);
    expect(holders('secretsmanager:DescribeSecret')).toEqual([]);
    expect(holders('dynamodb:UpdateItem').sort()).toEqual([...STEP_HANDLERS].sort());
    expect(HANDLER_NAMES.flatMap((h) => actionsOf(h)).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('names the service resources by the sluice-* prefix, functions unqualified except Invoke', () => {
    const lambdaResources = (handler: HandlerName, action: string) =>
      statementsOf(handler)
        .filter((s) => JSON.stringify(s.Action).includes(`"${action}"`))
        .map((s) => JSON.stringify(s.Resource));
    for (const action of ['lambda:UpdateFunctionCode', 'lambda:GetFunction', 'lambda:PublishVersion']) {
      expect(lambdaResources('stage', action)).toEqual([
        expect.stringMatching(/:function:sluice-\*"\]\]\}$/),
      ]);
    }
    expect(lambdaResources('stage', 'lambda:InvokeFunction')).toEqual([
      expect.stringMatching(/:function:sluice-\*:\*"\]\]\}$/),
    ]);
    for (const handler of ['deploy', 'record', 'deployment-events'] as const) {
      expect(lambdaResources(handler, 'lambda:GetAlias')).toEqual([
        expect.stringMatching(/:function:sluice-\*"\]\]\}$/),
      ]);
    }
    const group = statementsOf('deployment-events').find((s) => s.Action === 'codedeploy:GetDeployment');
    expect(JSON.stringify(group?.Resource)).toContain(':deploymentgroup:sluice-*/sluice-*');
  });

  it('lets Stage reach no alias at all (Lambda authorizes UpdateAlias on the function, so none can be spared)', () => {
    const aliasActions = HANDLER_NAMES.flatMap((h) =>
      actionsOf(h)
        .filter((a) => /^lambda:(UpdateAlias|CreateAlias|DeleteAlias|UpdateFunctionConfiguration)$/.test(a))
        .map((a) => `${h} ${a}`),
    );
    expect(aliasActions).toEqual([]);
    expect(
      actionsOf('stage')
        .filter((a) => a.startsWith('lambda:'))
        .sort(),
    ).toEqual([
      'lambda:GetFunction',
      'lambda:InvokeFunction',
      'lambda:PublishVersion',
      'lambda:UpdateFunctionCode',
    ]);
  });

  it('grants each handler only the ledger operations its code sends: no DeleteItem, batch writes or scans', () => {
    const ledgerActions = (h: HandlerName) =>
      actionsOf(h)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort();
    for (const forbidden of ['DeleteItem', 'BatchWriteItem', 'BatchGetItem', 'Scan', 'ConditionCheckItem']) {
      expect(holders(`dynamodb:${forbidden}`), forbidden).toEqual([]);
    }
    for (const h of ['run-tests', 'stage'] as const)
      expect(ledgerActions(h), h).toEqual(['dynamodb:UpdateItem']);
    // Build reads the release's recorded artifact (build once); alarm-events reads the release it stops.
    for (const h of ['build', 'alarm-events'] as const)
      expect(ledgerActions(h), h).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(ledgerActions('github-webhook')).toEqual([]);
    expect(ledgerActions('router')).toEqual([]);
    // GSI1, by name (never index/*), only for the handlers that list releases or approvals by service.
    const gsi1 = HANDLER_NAMES.filter((h) =>
      statementsOf(h).some((s) => JSON.stringify(s.Resource).includes('/index/GSI1')),
    );
    expect(gsi1.sort()).toEqual(['execution-events', 'record', 'request-approval']);
    for (const h of gsi1) {
      const query = statementsOf(h).find((s) => JSON.stringify(s.Resource).includes('/index/GSI1'));
      expect(query?.Action, h).toBe('dynamodb:Query');
    }
    expect(JSON.stringify(template.toJSON())).not.toContain('/index/*');
  });

  it("reads CodeCommit only in the catalog's repositories, by name", () => {
    const repositories = (h: HandlerName) =>
      statementsOf(h)
        .filter((s) => JSON.stringify(s.Action).includes('codecommit:'))
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .map((r) => String((r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].at(-1)));
    for (const h of ['load-service', 'build', 'run-tests'] as const) {
      expect(repositories(h), h).toEqual([':svc-0-repo', ':svc-1-repo']);
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/:codecommit:[^"]*",[^\]]*":\*"/);
  });

  it('names no CodeCommit repository when the catalog has none, and falls back to all of them, with a warning, past the limit', () => {
    const github = synth({
      version: 1,
      services: [service('site', { source: { provider: 'github', repository: 'acme/site' } })],
    });
    expect(JSON.stringify(github.template.toJSON())).not.toContain('codecommit:');

    const many = synth(catalogOf(MAX_NAMED_REPOSITORIES + 1));
    const json = JSON.stringify(many.template.toJSON());
    expect(json).not.toContain('-repo"');
    expect(json).toContain(':codecommit:');
    const warnings = Annotations.fromStack(many.stack).findWarning(
      '*',
      Match.stringLikeRegexp('CodeCommit repositories'),
    );
    expect(warnings.length).toBeGreaterThan(0);
    expect(nagFindings(many.stack)).toEqual([]);
  });
});

describe('SluicePipelineStack scale and shape', () => {
  it('does not grow with the number of services (1 vs 1000)', () => {
    const count = (n: number) => Object.keys(resourcesOf(synthOf(n).template)).length;
    const one = count(1);
    expect(count(1000)).toBe(one);
    expect(one).toBeLessThan(110);
  });

  it('has no dependency cycle (the approval URL is wired without one)', () => {
    const refs = (value: unknown, out = new Set<string>()): Set<string> => {
      if (Array.isArray(value)) for (const v of value) refs(v, out);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k === 'Ref' && typeof v === 'string' && resources[v]) out.add(v);
          else if (k === 'Fn::GetAtt' && Array.isArray(v) && resources[v[0] as string])
            out.add(v[0] as string);
          else refs(v, out);
        }
      }
      return out;
    };
    const json = template.toJSON().Resources as Record<string, CfnResource & { DependsOn?: string[] }>;
    const edges = Object.fromEntries(
      Object.entries(json).map(([id, r]) => [id, new Set([...refs(r.Properties), ...(r.DependsOn ?? [])])]),
    );
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, trail: string[]): void => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...trail, id].join(' -> ')}`);
      state.set(id, 'visiting');
      for (const next of edges[id] ?? []) visit(next, [...trail, id]);
      state.set(id, 'done');
    };
    for (const id of Object.keys(edges)) visit(id, []);
  });

  it('gives the GitHub token secret only to the handlers that read source, and names it in their env', () => {
    const secrets = resourcesOf(template, 'AWS::SecretsManager::Secret');
    const [tokenId] = Object.entries(secrets).find(([, r]) =>
      String(propsOf(r).Description).includes('GitHub token'),
    ) ?? [''];
    expect(tokenId).toMatch(/^GitHubTokenSecret/);
    expect(String(propsOf(defined(secrets[tokenId], 'secrets[tokenId]')).Description)).toMatch(
      /fine-grained.*read-only Contents/,
    );
    const readers: HandlerName[] = ['build', 'load-service', 'router', 'run-tests'];
    const readsToken = (h: HandlerName) =>
      statementsOf(h).some(
        (st) =>
          JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(st.Resource) === JSON.stringify({ Ref: tokenId }),
      );
    expect(HANDLER_NAMES.filter(readsToken).sort()).toEqual(readers);
    expect(HANDLER_NAMES.filter((h) => ENV.githubTokenSecretArn in envOf(h)).sort()).toEqual(readers);
    for (const h of readers) expect(envOf(h)[ENV.githubTokenSecretArn]).toEqual({ Ref: tokenId });
  });

  it('gives every output a stable, explicit name, the approval topic ARN included', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'ApprovalTopicArn',
      'ApprovalUrl',
      'ArtifactBucketName',
      'EventBusName',
      'GitHubTokenSecretArn',
      'LedgerTableName',
      'SlackInteractionsUrl',
      'SlackSecretArn',
      'StateMachineArn',
      'WebhookSecretArn',
      'WebhookUrl',
    ]);
    const [topicId] = Object.keys(resourcesOf(template, 'AWS::SNS::Topic'));
    expect(outputs.ApprovalTopicArn?.Value).toEqual({ Ref: topicId });
  });

  it('has every output the README tells operators to use', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    // "the `WebhookUrl` output", "<StateMachineArn output>"
    const named = [...readme.matchAll(/`([A-Z][A-Za-z]+)` output|<([A-Z][A-Za-z]+) output>/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect(named.length).toBeGreaterThan(5);
    // The pipeline's outputs and a service stack's (its FunctionUrl).
    const serviceStack = new SluiceServiceStack(testApp(), 'SluiceService-svc', {
      service: defined(catalogOf(1).services[0], 'the service'),
    });
    const outputs = [template, Template.fromStack(serviceStack)].flatMap((t) =>
      Object.keys(t.toJSON().Outputs as object),
    );
    for (const name of new Set(named)) expect(outputs).toContain(name);
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('ships a given catalog file as is, else the catalog without local paths', () => {
    const dir = testTempDir('test-');
    const file = path.join(dir, 'sluice.catalog.json');
    fs.writeFileSync(file, JSON.stringify(catalogOf(1)));
    expect(synth(catalogOf(1), { catalogFile: file }).stack.catalogSource).toBe(file);

    const local = catalogOf(1);
    const first = defined(local.services[0], 'the service');
    const withLocalPath = {
      ...local,
      services: [{ ...first, source: { ...first.source, localPath: '/home/me/repo' } }],
    };
    const written = synth(withLocalPath).stack.catalogSource;
    expect(JSON.parse(fs.readFileSync(written, 'utf8'))).toEqual(local);
  });
});

describe('SluicePipelineStack DORA metrics', () => {
  it('has one DORA dashboard, the same size for any number of services', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'SluicePipeline-dora' });
    const oneService = synthOf(1).template.findResources('AWS::CloudWatch::Dashboard');
    const manyServices = synthOf(1000).template.findResources('AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(Object.values(manyServices)[0])).toBe(JSON.stringify(Object.values(oneService)[0]));
  });

  it('lets Record publish the metrics as EMF in its own log group, with no PutMetricData anywhere', () => {
    expect(envOf('record').POWERTOOLS_METRICS_NAMESPACE).toBe('Sluice');
    expect(HANDLER_NAMES.flatMap((h) => actionsOf(h))).not.toContain('cloudwatch:PutMetricData');
    const logging = propsOf(defined(resources[functionOf.record], 'resources[functionOf.record]'))
      .LoggingConfig as { LogGroup?: unknown };
    expect(logging?.LogGroup).toBeDefined();
  });
});

describe('SluicePipelineStack validation', () => {
  it('rejects a catalog that is not a validated one, showing it', () => {
    expect(() => synth({ version: 2, services: [] } as unknown as Catalog)).toThrow(
      /catalog must be .*received \{"version":2/,
    );
  });

  it('rejects a missing catalog file, naming it', () => {
    expect(() => synth(catalogOf(1), { catalogFile: '/nope/sluice.catalog.json' })).toThrow(
      /catalogFile "\/nope\/sluice.catalog.json" does not exist/,
    );
  });

  it('rejects a non-positive artifact retention', () => {
    expect(() => synth(catalogOf(1), { artifactRetentionDays: 0 })).toThrow(
      /artifactRetentionDays .*received 0/,
    );
  });
});
