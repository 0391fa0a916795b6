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
export const handler = onAwsPorts(makeHandler, () => ({
  // No artifact is read here: describeDeployment, and starting the next queued deployment after a rollback.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));
