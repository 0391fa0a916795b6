import type { Context } from 'aws-lambda';
import { logger } from '../runtime/observability';
import { awsProductionDeployPorts } from '../runtime/production-deploy-ports';
import { onAwsPorts } from '../runtime/wiring';
import {
  type ExecutionEventOutcome,
  type ExecutionEventsPorts,
  type ExecutionStatusChange,
  onExecutionStatusChange,
} from './execution-events';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: ExecutionEventsPorts) =>
  async (event: ExecutionStatusChange, context: Context): Promise<ExecutionEventOutcome> => {
    logger.addContext(context);
    const outcome = await onExecutionStatusChange(event, ports);
    logger.info('execution event', {
      execution: event.detail?.name,
      status: event.detail?.status,
      outcome,
    });
    return outcome;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
// No artifact is read here: describe and stop a deployment, and start the next queued one.
export const handler = onAwsPorts(makeHandler, () => awsProductionDeployPorts());
