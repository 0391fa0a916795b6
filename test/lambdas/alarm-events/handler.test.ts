import { CodeDeployClient, GetDeploymentCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/alarm-events';
import type { AlarmStateChange } from '../../../lambdas/alarm-events/alarm-events';
import { ENV } from '../../../lambdas/runtime/env';

process.env[ENV.tableName] = 'ledger-table';

const ddb = mockClient(DynamoDBDocumentClient);
const codeDeploy = mockClient(CodeDeployClient);
const context = { functionName: 'alarm-events', awsRequestId: 'r1' } as Context;

function alarmEvent(alarmName: string, value = 'ALARM'): AlarmStateChange {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '111111111111',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { alarmName, state: { value, reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0' } },
  };
}

function ledger(lockHolder: string | undefined, release: Record<string, unknown> = {}) {
  ddb.on(GetCommand, { Key: { PK: 'SERVICE#checkout', SK: 'STATE' } }).resolves({
    Item: { service: 'checkout', ...(lockHolder ? { lockHolder } : {}) },
  });
  ddb.on(GetCommand, { Key: { PK: 'RELEASE#checkout-abc', SK: 'RELEASE' } }).resolves({
    Item: {
      releaseId: 'checkout-abc',
      service: 'checkout',
      status: 'running',
      deploymentId: 'd-RUNNING1',
      ...release,
    },
  });
}

describe('alarm-events handler', () => {
  beforeEach(() => {
    ddb.reset();
    codeDeploy.reset();
    ddb.on(UpdateCommand).resolves({});
    codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  });

  it("stops the service's running deployment with rollback and notes the alarm on the release", async () => {
    ledger('checkout-abc');
    await expect(handler(alarmEvent('sluice-checkout-error-rate'), context)).resolves.toEqual({
      action: 'stopped',
      releaseId: 'checkout-abc',
      deploymentId: 'd-RUNNING1',
      alarm: 'sluice-checkout-error-rate',
    });
    expect(codeDeploy.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-RUNNING1',
      autoRollbackEnabled: true,
    });
    const note = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(note?.Key).toEqual({ PK: 'RELEASE#checkout-abc', SK: 'RELEASE' });
    expect(Object.values(note?.ExpressionAttributeValues ?? {})).toContain('sluice-checkout-error-rate');
  });

  it('does nothing for OK states, foreign alarms, idle services or a deployment that already ended', async () => {
    ledger(undefined);
    await expect(handler(alarmEvent('sluice-checkout-error-rate', 'OK'), context)).resolves.toMatchObject({
      action: 'ignored',
    });
    await expect(handler(alarmEvent('billing-alarm'), context)).resolves.toMatchObject({ action: 'ignored' });
    await expect(handler(alarmEvent('sluice-checkout-p99-latency'), context)).resolves.toMatchObject({
      action: 'ignored',
      why: 'checkout has no production deployment in progress',
    });
    ddb.reset();
    ledger('checkout-abc');
    codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
    await expect(handler(alarmEvent('sluice-checkout-business'), context)).resolves.toMatchObject({
      action: 'ignored',
    });
    ddb.reset();
    ledger('checkout-abc', { rollback: { requestedBy: 'oncall@example.com' } });
    codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    await expect(handler(alarmEvent('sluice-checkout-error-rate'), context)).resolves.toMatchObject({
      action: 'ignored',
      why: 'checkout-abc is a rollback; alarms do not stop it',
    });
    expect(codeDeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });
});
