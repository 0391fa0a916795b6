import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import type { ServiceConfig, SmokeConfig } from '../core/catalog/types';
import { logger } from '../runtime/observability';
import { requireEnv } from '../runtime/wiring';
import { type LifecycleHookEvent, runPostTrafficSmoke, SMOKE_ENV } from './smoke-hook';

const codeDeploy = new CodeDeployClient({});
const target = new LambdaCodeDeployTarget(new LambdaClient({}), codeDeploy, '');

export const handler = async (event: LifecycleHookEvent, context: Context): Promise<string> => {
  logger.addContext(context);
  // invoke() and invokeEvent() read only the service's name (its function is sluice-<name>).
  const service = { name: requireEnv(SMOKE_ENV.service) } as ServiceConfig;
  // The catalog's smoke check, validated: an HTTP request or an event with what its result must contain.
  const smoke = JSON.parse(requireEnv(SMOKE_ENV.request)) as SmokeConfig;
  // The live alias: after the traffic shift it is the new version.
  const { status, detail } = await runPostTrafficSmoke(
    event,
    smoke,
    {
      http: (request) => target.invoke(service, 'live', request),
      event: (smokeEvent) => target.invokeEvent(service, 'live', smokeEvent),
    },
    codeDeploy,
  );
  logger.info('post-traffic smoke', { deploymentId: event.DeploymentId, status, detail });
  return status;
};
