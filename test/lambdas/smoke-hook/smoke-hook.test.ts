import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runPostTrafficSmoke } from '../../../lambdas/smoke-hook/smoke-hook';

const codeDeploy = mockClient(CodeDeployClient);
const event = { DeploymentId: 'd-HOOK12345', LifecycleEventHookExecutionId: 'hook-exec-1' };
const settings = { request: { method: 'GET', path: '/' }, expectStatus: 200 };

describe('post-traffic smoke hook', () => {
  beforeEach(() => {
    codeDeploy.reset();
    codeDeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
  });

  it('reports Succeeded when the live alias answers the smoke request as expected', async () => {
    const sent: unknown[] = [];
    const status = await runPostTrafficSmoke(
      event,
      settings,
      async (request) => {
        sent.push(request);
        return { statusCode: 200, body: 'ok', latencyMs: 3 };
      },
      new CodeDeployClient({}),
    );
    expect(status).toBe('Succeeded');
    expect(sent).toEqual([{ method: 'GET', path: '/' }]);
    expect(codeDeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-HOOK12345',
      lifecycleEventHookExecutionId: 'hook-exec-1',
      status: 'Succeeded',
    });
  });

  it('reports Failed on a wrong status or no answer, so CodeDeploy rolls back', async () => {
    const client = new CodeDeployClient({});
    expect(
      await runPostTrafficSmoke(
        event,
        settings,
        async () => ({ statusCode: 502, body: '', latencyMs: 1 }),
        client,
      ),
    ).toBe('Failed');
    expect(
      await runPostTrafficSmoke(
        event,
        settings,
        async () => {
          throw new Error('timeout');
        },
        client,
      ),
    ).toBe('Failed');
    const statuses = codeDeploy
      .commandCalls(PutLifecycleEventHookExecutionStatusCommand)
      .map((c) => c.args[0].input.status);
    expect(statuses).toEqual(['Failed', 'Failed']);
  });
});
