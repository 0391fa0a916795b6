import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runPostTrafficSmoke, SMOKE_ENV } from '../../../lambdas/smoke-hook/smoke-hook';
import { blobPayload } from '../adapters/aws/helpers';

const codeDeploy = mockClient(CodeDeployClient);
const lambda = mockClient(LambdaClient);
const event = { DeploymentId: 'd-HOOK12345', LifecycleEventHookExecutionId: 'hook-exec-1' };
const httpSmoke = { method: 'GET', path: '/', expectStatus: 200 };
const unusedEvent = async () => {
  throw new Error('not an event service');
};

const sqsEvent = { Records: [{ messageId: 'smoke-1', body: '{"orderId":"o-1"}', eventSource: 'aws:sqs' }] };

function reportedStatuses(): (string | undefined)[] {
  return codeDeploy
    .commandCalls(PutLifecycleEventHookExecutionStatusCommand)
    .map((c) => c.args[0].input.status);
}

describe('post-traffic smoke hook', () => {
  beforeEach(() => {
    codeDeploy.reset();
    lambda.reset();
    codeDeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reports Succeeded when the live alias answers the smoke request as expected', async () => {
    const sent: unknown[] = [];
    const outcome = await runPostTrafficSmoke(
      event,
      httpSmoke,
      {
        http: async (request) => {
          sent.push(request);
          return { statusCode: 200, body: 'ok', latencyMs: 3 };
        },
        event: unusedEvent,
      },
      new CodeDeployClient({}),
    );
    expect(outcome).toEqual({ status: 'Succeeded', detail: 'GET / → 200' });
    expect(sent).toEqual([{ method: 'GET', path: '/' }]);
    expect(codeDeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-HOOK12345',
      lifecycleEventHookExecutionId: 'hook-exec-1',
      status: 'Succeeded',
    });
  });

  it('reports Failed on a wrong status or no answer, so CodeDeploy rolls back', async () => {
    const client = new CodeDeployClient({});
    const wrong = await runPostTrafficSmoke(
      event,
      httpSmoke,
      { http: async () => ({ statusCode: 502, body: 'bad gateway', latencyMs: 1 }), event: unusedEvent },
      client,
    );
    expect(wrong).toEqual({
      status: 'Failed',
      detail: 'GET / → 502: answered 502, expected 200: bad gateway',
    });
    const silent = await runPostTrafficSmoke(
      event,
      httpSmoke,
      {
        http: async () => {
          throw new Error('timeout');
        },
        event: unusedEvent,
      },
      client,
    );
    expect(silent).toEqual({ status: 'Failed', detail: 'no answer: timeout' });
    expect(reportedStatuses()).toEqual(['Failed', 'Failed']);
  });

  it('invokes the live alias of an event-driven service with the catalog event (Lambda Invoke) and checks its result', async () => {
    vi.stubEnv(SMOKE_ENV.service, 'orders');
    vi.stubEnv(SMOKE_ENV.request, JSON.stringify({ event: sqsEvent, expect: { batchItemFailures: [] } }));
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: blobPayload('{"batchItemFailures":[]}') as never })
      .resolvesOnce({
        StatusCode: 200,
        Payload: blobPayload('{"batchItemFailures":[{"itemIdentifier":"smoke-1"}]}') as never,
      })
      .resolvesOnce({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: blobPayload('{"errorType":"TypeError","errorMessage":"no orderId"}') as never,
      });
    const { handler } = await import('../../../lambdas/smoke-hook/handler');
    const context = { awsRequestId: 'r-1', functionName: 'CodeDeployHook_sluice-orders-smoke' } as Context;
    expect(await handler(event, context)).toBe('Succeeded');
    expect(await handler(event, context)).toBe('Failed');
    expect(await handler(event, context)).toBe('Failed');

    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      const input = call.args[0].input;
      expect(input.FunctionName).toBe('sluice-orders');
      expect(input.Qualifier).toBe('live');
      expect(input.InvocationType).toBeUndefined(); // RequestResponse: the hook needs the result
      expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(sqsEvent);
    }
    expect(reportedStatuses()).toEqual(['Succeeded', 'Failed', 'Failed']);
  });
});
