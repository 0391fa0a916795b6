import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import type { ServiceConfig } from '../core/catalog/types';
import { logger } from '../runtime/observability';
import { requireEnv } from '../runtime/wiring';
import { type LifecycleHookEvent, runPostTrafficSmoke, SMOKE_ENV } from './smoke-hook';

const codeDeploy = new CodeDeployClient({});
const target = new LambdaCodeDeployTarget(new LambdaClient({}), codeDeploy, '');

export const handler = async (event: LifecycleHookEvent, context: Context): Promise<string> => {
  logger.addContext(context);
  const service = requireEnv(SMOKE_ENV.service);
  const smoke = JSON.parse(requireEnv(SMOKE_ENV.request)) as {
    method: string;
    path: string;
    expectStatus: number;
  };
  const status = await runPostTrafficSmoke(
    event,
    { request: { method: smoke.method, path: smoke.path }, expectStatus: smoke.expectStatus },
    // The live alias: after the traffic shift it is the new version.
    // invoke() reads only the service's name (its function is sluice-<name>).
    (request) => target.invoke({ name: service } as ServiceConfig, 'live', request),
    codeDeploy,
  );
  logger.info('post-traffic smoke', { deploymentId: event.DeploymentId, status });
  return status;
};
