/**
 * The deploy handler as Lambda runs it: its own AWS wiring, the ledger in a real DynamoDB Local (the SDK's
 * DynamoDB endpoint points there), and Lambda, CodeDeploy, CloudWatch and Step Functions under
 * aws-sdk-client-mock (their adapters' exact commands are tested with the adapters).
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import { handler } from '../../../lambdas/deploy';
import type { DeployInput } from '../../../lambdas/deploy/deploy';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { ENV } from '../../../lambdas/runtime/env';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
const sfn = mockClient(SFNClient);
const cloudWatch = mockClient(CloudWatchClient);
const context = { functionName: 'deploy', awsRequestId: 'r1' } as Context;

let db: TestLedger;
/** The same table the handler writes to, read back through the ledger. */
let ledger: Ledger;

beforeAll(async () => {
  db = await startTestLedger();
  const table = await db.newTable();
  process.env[ENV.tableName] = table;
  process.env[ENV.artifactBucket] = 'artifact-bucket';
  // The handler builds its own DynamoDB client; the SDK's service endpoint variable points it here.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
  ledger = Ledger.forTable(db.client, table);
}, 120_000);
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await db?.stop();
});

let services = 0;
/** A deployment service with a name of its own, so each test starts with a free lock and no history. */
function newService() {
  const parsed = parseCatalog({
    version: 1,
    services: [
      {
        name: `checkout${++services}`,
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
        deploy: { strategy: 'Linear10PercentEvery1Minute' },
      },
    ],
  });
  if (!parsed.ok) throw new Error('bad test catalog');
  return defined(parsed.catalog.services[0], 'the test service');
}

/** The Deploy task's payload for a release of `config` that the ledger already has (LoadService started it). */
async function deployInput(config: ReturnType<typeof newService>, version: string): Promise<DeployInput> {
  const release = {
    releaseId: `${config?.name}-abc`,
    service: config?.name,
    mode: 'deployment' as const,
    commit: { sha: 'abc', author: 'Dana <dana@example.com>', message: 'm', time: '2026-01-01T00:00:00Z' },
    startedAt: '2026-01-01T00:00:00Z',
    trigger: { source: 'manual' as const },
  };
  await ledger.startRelease(release);
  return {
    taskToken: `token-${config?.name}`,
    releaseId: release.releaseId,
    config,
    release,
    stage: { version, smoke: { status: 200, latencyMs: 5 } },
  };
}

describe('deploy handler', () => {
  beforeEach(() => {
    lambda.reset();
    codeDeploy.reset();
    sfn.reset();
    cloudWatch.reset();
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  });

  it('takes the production lock, stores the task token, starts a CodeDeploy deployment live 4 → 5, and links it to the release', async () => {
    const config = newService();
    const input = await deployInput(config, '5');
    lambda
      .on(GetAliasCommand, { FunctionName: `sluice-${config?.name}`, Name: 'live' })
      .resolves({ FunctionVersion: '4' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-123456789' });
    await expect(handler(input, context)).resolves.toEqual({ deploymentId: 'd-123456789' });

    expect(await ledger.getServiceState(defined(config?.name, 'config.name'))).toMatchObject({
      lockHolder: input.releaseId,
    });
    expect(await ledger.getRelease(input.releaseId)).toMatchObject({
      deployTaskToken: input.taskToken,
      deploymentId: 'd-123456789',
    });
    expect(await ledger.findDeployment('d-123456789')).toMatchObject({
      releaseId: input.releaseId,
      service: config?.name,
      fromVersion: '4',
      toVersion: '5',
      strategy: 'Linear10PercentEvery1Minute',
    });
    const [create] = codeDeploy.commandCalls(CreateDeploymentCommand);
    expect(create?.args[0].input).toMatchObject({
      applicationName: `sluice-${config?.name}`,
      deploymentGroupName: `sluice-${config?.name}`,
      deploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    });
    const appSpec = JSON.parse(create?.args[0].input.revision?.appSpecContent?.content ?? '{}');
    expect(appSpec.Resources[0][`sluice-${config?.name}`].Properties).toMatchObject({
      Alias: 'live',
      CurrentVersion: '4',
      TargetVersion: '5',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('asks CloudWatch for the service alarms in ALARM and deploys nothing when one is (preflight)', async () => {
    const config = newService();
    const input = await deployInput(config, '5');
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: `sluice-${config?.name}-p99-latency`, StateValue: 'ALARM' }] });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    await expect(handler(input, context)).rejects.toMatchObject({
      name: 'PreflightBlocked',
      message: expect.stringContaining(`sluice-${config?.name}-p99-latency is in ALARM`),
    });
    // The service's own alarms by exact name (a prefix would match another service's), metric alarms only.
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNames: expect.arrayContaining([
        `sluice-${config?.name}-error-rate`,
        `sluice-${config?.name}-p99-latency`,
      ]),
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm'],
    });
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect((await ledger.getRelease(input.releaseId))?.deploymentId).toBeUndefined();
  });

  it('queues its task token behind the release holding the lock, and deploys nothing yet', async () => {
    const config = newService();
    const holder = `${config?.name}-first`;
    expect(
      await ledger.acquireDeployLock(defined(config?.name, 'config.name'), {
        releaseId: holder,
        taskToken: 'token-first',
        config,
        version: '4',
        queuedAt: '2026-01-01T00:00:00Z',
      }),
    ).toBe('acquired');
    const input = await deployInput(config, '5');
    await expect(handler(input, context)).resolves.toEqual({ queuedBehind: holder });
    const state = await ledger.getServiceState(defined(config?.name, 'config.name'));
    expect(state?.lockHolder).toBe(holder);
    expect(state?.deployQueue).toEqual([
      expect.objectContaining({ releaseId: input.releaseId, taskToken: input.taskToken, version: '5' }),
    ]);
    // A retry of the same task queues nothing twice.
    await expect(handler(input, context)).resolves.toEqual({ queuedBehind: holder });
    expect((await ledger.getServiceState(defined(config?.name, 'config.name')))?.deployQueue).toHaveLength(1);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });

  it('resumes at once without a deployment when the staged version is already live', async () => {
    const config = newService();
    const input = await deployInput(config, '5');
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
    await handler(input, context);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    const [success] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(success?.args[0].input.taskToken).toBe(input.taskToken);
    expect(JSON.parse(success?.args[0].input.output ?? '{}')).toMatchObject({
      strategy: 'Unchanged',
      toVersion: '5',
    });
  });

  it('refuses to run without a task token, taking no lock', async () => {
    const config = newService();
    const input = await deployInput(config, '5');
    await expect(handler({ ...input, taskToken: '' }, context)).rejects.toMatchObject({
      name: 'DeploymentFailedError',
    });
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(await ledger.getServiceState(defined(config?.name, 'config.name'))).toBeUndefined();
  });
});
