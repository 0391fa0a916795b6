import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { serviceAlarmDefinitions } from '../../../lambdas/core/service-alarms';
import { handler } from '../../../lambdas/deploy';
import type { DeployInput } from '../../../lambdas/deploy/deploy';
import { ENV } from '../../../lambdas/runtime/env';

process.env[ENV.tableName] = 'ledger-table';
process.env[ENV.artifactBucket] = 'artifact-bucket';

const ddb = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
const sfn = mockClient(SFNClient);
const cloudWatch = mockClient(CloudWatchClient);
const context = { functionName: 'deploy', awsRequestId: 'r1' } as Context;

const parsed = parseCatalog({
  version: 1,
  services: [
    {
      name: 'checkout',
      mode: 'deployment',
      source: { repository: 'checkout' },
      runtime: { entry: 'src/handler.ts' },
      deploy: { strategy: 'Linear10PercentEvery1Minute' },
    },
  ],
});
if (!parsed.ok) throw new Error('bad test catalog');
const config = parsed.catalog.services[0];

function input(version: string): DeployInput {
  return {
    taskToken: 'token-xyz',
    releaseId: 'checkout-abc',
    config,
    release: {
      releaseId: 'checkout-abc',
      service: 'checkout',
      mode: 'deployment',
      commit: { sha: 'abc', author: 'Dana <dana@example.com>', message: 'm', time: '2026-01-01T00:00:00Z' },
      startedAt: '2026-01-01T00:00:00Z',
      trigger: { source: 'manual' },
    },
    stage: { version, smoke: { status: 200, latencyMs: 5 } },
  };
}

describe('deploy handler', () => {
  beforeEach(() => {
    ddb.reset();
    lambda.reset();
    codeDeploy.reset();
    sfn.reset();
    cloudWatch.reset();
    // Nothing in ALARM; both canary alarms exist (the service stack created them), judging version 4.
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: serviceAlarmDefinitions(config, '4').map((d) => ({ AlarmName: d.AlarmName })),
    });
    cloudWatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({ MetricAlarms: [] });
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(PutCommand).resolves({});
  });

  it('takes the production lock with a conditional write on the service item before anything else', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-1' });
    await handler(input('5'), context);
    const [lock] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(lock).toMatchObject({
      Key: { PK: 'SERVICE#checkout', SK: 'STATE' },
      ConditionExpression: 'attribute_not_exists(lockHolder) OR lockHolder = :rid',
      ExpressionAttributeValues: { ':rid': 'checkout-abc' },
    });
  });

  it('asks CloudWatch for the service alarms in ALARM and deploys nothing when one is (preflight)', async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'sluice-checkout-p99-latency', StateValue: 'ALARM' }] });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    await expect(handler(input('5'), context)).rejects.toMatchObject({
      name: 'PreflightBlocked',
      message: expect.stringContaining('sluice-checkout-p99-latency is in ALARM'),
    });
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({
      AlarmNames: ['sluice-checkout-error-rate', 'sluice-checkout-p99-latency', 'sluice-checkout-business'],
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm'],
    });
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('queues its task token behind the release holding the lock, and deploys nothing yet', async () => {
    const conflict = Object.assign(new Error('held'), { name: 'ConditionalCheckFailedException' });
    ddb
      .on(UpdateCommand, { ConditionExpression: 'attribute_not_exists(lockHolder) OR lockHolder = :rid' })
      .rejects(conflict);
    ddb
      .on(GetCommand)
      .resolves({ Item: { PK: 'SERVICE#checkout', SK: 'STATE', lockHolder: 'checkout-first' } });
    await expect(handler(input('5'), context)).resolves.toEqual({ queuedBehind: 'checkout-first' });
    const queued = ddb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .find((i) => String(i.UpdateExpression).includes('deployQueue'));
    expect(queued?.ExpressionAttributeValues?.[':entry']).toEqual([
      expect.objectContaining({ releaseId: 'checkout-abc', taskToken: 'token-xyz', version: '5' }),
    ]);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('stores the task token first, starts a CodeDeploy deployment live 4 → 5, and links it to the release', async () => {
    lambda
      .on(GetAliasCommand, { FunctionName: 'sluice-checkout', Name: 'live' })
      .resolves({ FunctionVersion: '4' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-123456789' });
    await expect(handler(input('5'), context)).resolves.toEqual({ deploymentId: 'd-123456789' });

    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    // [0] is the lock; then the token, before CreateDeployment.
    expect(updates[1].ExpressionAttributeValues).toMatchObject({ ':v0': 'token-xyz' });
    const [create] = codeDeploy.commandCalls(CreateDeploymentCommand);
    expect(create.args[0].input).toMatchObject({
      applicationName: 'sluice-checkout',
      deploymentGroupName: 'sluice-checkout',
      deploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    });
    const appSpec = JSON.parse(create.args[0].input.revision?.appSpecContent?.content ?? '{}');
    expect(appSpec.Resources[0]['sluice-checkout'].Properties).toMatchObject({
      Alias: 'live',
      CurrentVersion: '4',
      TargetVersion: '5',
    });
    const link = ddb.commandCalls(PutCommand)[0].args[0].input.Item;
    expect(link).toMatchObject({
      PK: 'DEPLOYMENT#d-123456789',
      releaseId: 'checkout-abc',
      fromVersion: '4',
      toVersion: '5',
      strategy: 'Linear10PercentEvery1Minute',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('points the canary alarms at version 5 before CreateDeployment, so CodeDeploy judges the new version', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    const order: string[] = [];
    cloudWatch.on(PutMetricAlarmCommand).callsFake((i) => void order.push(`put ${i.AlarmName}`));
    codeDeploy.on(CreateDeploymentCommand).callsFake(() => {
      order.push('create');
      return { deploymentId: 'd-5' };
    });
    await handler(input('5'), context);
    expect(order).toEqual(['put sluice-checkout-error-rate', 'put sluice-checkout-p99-latency', 'create']);
    const puts = cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(puts).toEqual(serviceAlarmDefinitions(config, '5'));
  });

  it('resumes at once without a deployment when the staged version is already live', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
    await handler(input('5'), context);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    const [success] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(success.args[0].input.taskToken).toBe('token-xyz');
    expect(JSON.parse(success.args[0].input.output ?? '{}')).toMatchObject({
      strategy: 'Unchanged',
      toVersion: '5',
    });
  });

  it('refuses to run without a task token', async () => {
    await expect(handler({ ...input('5'), taskToken: '' }, context)).rejects.toMatchObject({
      name: 'DeploymentFailedError',
    });
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});
