import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { CloudWatchServiceAlarms } from '../adapters/aws/cloudwatch-service-alarms';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
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
export const handler = onAwsPorts(makeHandler, () => ({
  // No artifact is read here: describe and stop a deployment, and start the next queued one.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));
