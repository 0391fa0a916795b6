import type { Context } from 'aws-lambda';
import { logger } from '../runtime/observability';
import { awsProductionDeployPorts } from '../runtime/production-deploy-ports';
import { onAwsPorts } from '../runtime/wiring';
import {
  type CodeDeployStateChange,
  type DeploymentEventOutcome,
  type DeploymentEventsPorts,
  onDeploymentStateChange,
} from './deployment-events';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: DeploymentEventsPorts) =>
  async (event: CodeDeployStateChange, context: Context): Promise<DeploymentEventOutcome> => {
    logger.addContext(context);
    const outcome = await onDeploymentStateChange(event, ports);
    logger.info('deployment event', {
      deploymentId: event.detail?.deploymentId,
      state: event.detail?.state,
      outcome,
    });
    return outcome;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
// No artifact is read here: describeDeployment, and starting the next queued deployment after a rollback.
export const handler = onAwsPorts(makeHandler, () => awsProductionDeployPorts());
