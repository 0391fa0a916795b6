import { CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnTaskCallbacks } from '../../../lambdas/adapters/aws/sfn-task-callbacks';
import type { DeployTarget } from '../../../lambdas/core/ports';
import {
  type CodeDeployStateChange,
  onDeploymentStateChange,
} from '../../../lambdas/deployment-events/deployment-events';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { ENV } from '../../../lambdas/runtime/env';

process.env[ENV.tableName] = 'ledger-table';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const codeDeploy = mockClient(CodeDeployClient);
const context = { functionName: 'deployment-events', awsRequestId: 'r1' } as Context;

function event(state: string, deploymentId = 'd-ABCDEFGHI'): CodeDeployStateChange {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'CodeDeploy Deployment State-change Notification',
    source: 'aws.codedeploy',
    account: '111111111111',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { deploymentId, state, application: 'sluice-checkout', deploymentGroup: 'sluice-checkout' },
  };
}

function ledgerHas(options: { token?: string; linked?: boolean }) {
  ddb.on(GetCommand, { Key: { PK: 'DEPLOYMENT#d-ABCDEFGHI', SK: 'DEPLOYMENT' } }).resolves(
    options.linked === false
      ? {}
      : {
          Item: {
            deploymentId: 'd-ABCDEFGHI',
            releaseId: 'checkout-abc',
            service: 'checkout',
            fromVersion: '2',
            toVersion: '3',
            strategy: 'Canary10Percent5Minutes',
          },
        },
  );
  ddb.on(GetCommand, { Key: { PK: 'RELEASE#checkout-abc', SK: 'RELEASE' } }).resolves({
    Item: {
      releaseId: 'checkout-abc',
      service: 'checkout',
      status: 'running',
      ...(options.token ? { deployTaskToken: options.token } : {}),
    },
  });
}

import { handler as deploymentEventsHandler } from '../../../lambdas/deployment-events';

const load = async () => deploymentEventsHandler;

describe('deployment-events handler', () => {
  beforeEach(() => {
    ddb.reset();
    sfn.reset();
    codeDeploy.reset();
  });

  it('resumes the paused Deploy task with SendTaskSuccess on SUCCESS', async () => {
    ledgerHas({ token: 'token-1' });
    const handler = await load();
    await expect(handler(event('SUCCESS'), context)).resolves.toBe('resumed-success');
    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(call?.args[0].input.taskToken).toBe('token-1');
    expect(JSON.parse(call?.args[0].input.output ?? '')).toEqual({
      deploymentId: 'd-ABCDEFGHI',
      fromVersion: '2',
      toVersion: '3',
      strategy: 'Canary10Percent5Minutes',
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.TableName).toBe('ledger-table');
  });

  it('fails the task as DeploymentRolledBack with the alarm CodeDeploy reports', async () => {
    ledgerHas({ token: 'token-2' });
    codeDeploy.on(GetDeploymentCommand, { deploymentId: 'd-ABCDEFGHI' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-ABCDEFGHI',
        status: 'Failed',
        errorInformation: {
          code: 'ALARM_ACTIVE',
          message:
            'One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <sluice-checkout-error-rate>',
        },
        rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' },
      },
    });
    const handler = await load();
    await expect(handler(event('FAILURE'), context)).resolves.toBe('resumed-failure');
    const [call] = sfn.commandCalls(SendTaskFailureCommand);
    expect(call?.args[0].input).toMatchObject({ taskToken: 'token-2', error: 'DeploymentRolledBack' });
    expect(call?.args[0].input.cause).toContain('sluice-checkout-error-rate');
  });

  it('ignores events it cannot act on: START, an already resumed release, a deployment Sluice did not start', async () => {
    const handler = await load();
    await expect(handler(event('START'), context)).resolves.toBe('ignored');
    ledgerHas({});
    await expect(handler(event('SUCCESS'), context)).resolves.toBe('ignored');
    ddb.reset();
    ledgerHas({ linked: false, token: 'x' });
    const ledger = Ledger.forTable(new DynamoDBClient({}), 'ledger-table');
    const ports = {
      ledger,
      tasks: new SfnTaskCallbacks(new SFNClient({})),
      deployTarget: {} as DeployTarget,
      alarms: { inAlarm: async () => [], judge: async () => undefined },
      clock: { now: () => new Date() },
    };
    await expect(
      onDeploymentStateChange(event('SUCCESS'), ports, { linkAttempts: 2, linkDelayMs: 1 }),
    ).resolves.toBe('ignored');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });
});
