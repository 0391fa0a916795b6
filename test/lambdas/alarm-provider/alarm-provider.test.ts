import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmWriter } from '../../../lambdas/adapters/aws/cloudwatch-alarm-writer';
import {
  CustomResourceResponseError,
  sendCustomResourceResponse,
} from '../../../lambdas/adapters/cfn-response';
import {
  ALARM_PROPERTY,
  type AlarmResponse,
  alarmDefinitionOf,
  CREATE_FAILED_ID,
} from '../../../lambdas/alarm-provider/alarm-provider';
import { type AlarmProviderEvent, makeHandler } from '../../../lambdas/alarm-provider/handler';
import { serviceAlarmDefinitions, UNRELEASED_VERSION } from '../../../lambdas/core/service-alarms';
import { awsError, service } from '../adapters/aws/helpers';

const cloudWatch = mockClient(CloudWatchClient);
const [errorRate, p99] = serviceAlarmDefinitions(service, UNRELEASED_VERSION);
if (!errorRate || !p99) throw new Error('the fixture service defines two alarms');

/** A real HTTP server on 127.0.0.1 standing in for the presigned S3 URL: it records each PUT. */
let server: Server;
let responseUrl: string;
let answerStatus = 200;
const received: { method?: string; contentType?: string; body: AlarmResponse }[] = [];

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void bodyOf(request).then((text) => {
      received.push({
        method: request.method,
        contentType: request.headers['content-type'],
        body: JSON.parse(text) as AlarmResponse,
      });
      response.writeHead(answerStatus).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?signed=1`;
});
afterAll(async () => {
  server.close();
  await once(server, 'close');
});
beforeEach(() => {
  cloudWatch.reset();
  received.length = 0;
  answerStatus = 200;
});

const handler = makeHandler({
  alarms: new CloudWatchAlarmWriter(new CloudWatchClient({})),
  respond: sendCustomResourceResponse,
});
const context = { awsRequestId: 'req-1', functionName: 'Sluice-ServiceAlarms' } as Context;

function request(
  type: AlarmProviderEvent['RequestType'],
  extra: Partial<AlarmProviderEvent> = {},
): AlarmProviderEvent {
  return {
    RequestType: type,
    RequestId: `${type}-1`,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/SluiceService-orders/guid',
    LogicalResourceId: 'ServiceCanaryAlarmsErrorRate',
    ResponseURL: responseUrl,
    ResourceProperties: { ServiceToken: 'arn:token', [ALARM_PROPERTY]: JSON.stringify(errorRate) },
    ...extra,
  };
}

describe('alarm provider (CloudFormation custom resource)', () => {
  it('creates the alarm with PutMetricAlarm as defined and answers SUCCESS with its name as physical ID', async () => {
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await handler(request('Create'), context);
    expect(cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input)).toEqual([errorRate]);
    expect(cloudWatch.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
    expect(received).toEqual([
      {
        method: 'PUT',
        // No Content-Type the presigned URL's signature did not cover.
        contentType: undefined,
        body: {
          Status: 'SUCCESS',
          PhysicalResourceId: 'sluice-orders-error-rate',
          StackId: request('Create').StackId,
          RequestId: 'Create-1',
          LogicalResourceId: 'ServiceCanaryAlarmsErrorRate',
        },
      },
    ]);
  });

  it('answers FAILED with the reason when CloudWatch refuses, and its rollback deletes nothing', async () => {
    cloudWatch.on(PutMetricAlarmCommand).rejects(awsError('AccessDenied', { message: 'not allowed' }));
    await handler(request('Create'), context);
    expect(received[0]?.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'AccessDenied: not allowed',
      PhysicalResourceId: CREATE_FAILED_ID,
    });
    // CloudFormation's rollback deletes the resource it was told about: no alarm was made, none is deleted.
    await handler(request('Delete', { PhysicalResourceId: CREATE_FAILED_ID }), context);
    expect(cloudWatch.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
    expect(received[1]?.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_ID });
  });

  it('never rewrites the alarm on update: each Deploy points it at its version', async () => {
    const changed = { ...errorRate, Threshold: 42 };
    await handler(
      request('Update', {
        PhysicalResourceId: 'sluice-orders-error-rate',
        ResourceProperties: { ServiceToken: 'arn:token', [ALARM_PROPERTY]: JSON.stringify(changed) },
      }),
      context,
    );
    expect(cloudWatch.calls()).toHaveLength(0);
    expect(received[0]?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'sluice-orders-error-rate',
    });
  });

  it('treats another alarm name on update as a replacement: creates it and answers its name', async () => {
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    await handler(
      request('Update', {
        PhysicalResourceId: 'sluice-orders-error-rate',
        ResourceProperties: { ServiceToken: 'arn:token', [ALARM_PROPERTY]: JSON.stringify(p99) },
      }),
      context,
    );
    expect(cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmName)).toEqual([
      'sluice-orders-p99-latency',
    ]);
    // A new physical ID: CloudFormation then sends a Delete for the old alarm.
    expect(received[0]?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'sluice-orders-p99-latency',
    });
  });

  it('deletes the alarm with DeleteAlarms; one already gone counts as deleted; other errors answer FAILED', async () => {
    cloudWatch.on(DeleteAlarmsCommand).resolvesOnce({}).rejectsOnce(awsError('ResourceNotFound'));
    const del = request('Delete', { PhysicalResourceId: 'sluice-orders-error-rate' });
    await handler(del, context);
    await handler(del, context);
    expect(cloudWatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['sluice-orders-error-rate'] },
      { AlarmNames: ['sluice-orders-error-rate'] },
    ]);
    expect(received.map((r) => r.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);

    cloudWatch.reset();
    cloudWatch.on(DeleteAlarmsCommand).rejects(awsError('AccessDenied', { message: 'no' }));
    await handler(del, context);
    expect(received[2]?.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'AccessDenied: no',
      PhysicalResourceId: 'sluice-orders-error-rate',
    });
  });

  it('refuses a definition that is not a Sluice canary alarm, before calling CloudWatch', async () => {
    const bad = [
      {},
      { [ALARM_PROPERTY]: 'not json' },
      { [ALARM_PROPERTY]: JSON.stringify({ ...errorRate, AlarmName: 'billing-alarm' }) },
    ];
    for (const ResourceProperties of bad) {
      await handler(request('Create', { ResourceProperties }), context);
    }
    expect(cloudWatch.calls()).toHaveLength(0);
    expect(received.map((r) => r.body.Status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(received[2]?.body.Reason).toMatch(/"billing-alarm" is not a Sluice canary alarm name/);
    expect(() => alarmDefinitionOf({ [ALARM_PROPERTY]: JSON.stringify(p99) })).not.toThrow();
  });

  it('keeps the answer under 4,096 bytes however long the failure', async () => {
    cloudWatch
      .on(PutMetricAlarmCommand)
      .rejects(awsError('ValidationError', { message: 'x'.repeat(10_000) }));
    await handler(request('Create'), context);
    expect(JSON.stringify(received[0]?.body).length).toBeLessThan(4096);
    expect(received[0]?.body.Reason).toMatch(/^ValidationError: x+…$/);
  });

  it('throws when the response URL refuses the answer, so Lambda retries the (idempotent) request', async () => {
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    answerStatus = 403;
    await expect(handler(request('Create'), context)).rejects.toThrow(CustomResourceResponseError);
    await expect(
      sendCustomResourceResponse('http://127.0.0.1:9/closed', { Status: 'SUCCESS' }),
    ).rejects.toThrow(/Could not send the answer/);
  });
});
