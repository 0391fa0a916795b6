import type { Context } from 'aws-lambda';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { awsProductionDeployPorts } from '../runtime/production-deploy-ports';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type DeployInput, type DeployPorts, type DeployStart, startDeploy } from './deploy';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: DeployPorts) =>
  async (event: DeployInput, context: Context): Promise<DeployStart> => {
    logger.addContext(context);
    const result = await startDeploy(event, ports);
    logger.info('deployment started or queued', { releaseId: event.releaseId, ...result });
    return result;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () =>
  awsProductionDeployPorts(requireEnv(ENV.artifactBucket)),
);
