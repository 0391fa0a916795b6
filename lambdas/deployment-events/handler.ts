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
import { portsFor, requireEnv } from '../runtime/wiring';
import {
  type CodeDeployStateChange,
  type DeploymentEventOutcome,
  onDeploymentStateChange,
} from './deployment-events';

const ports = portsFor(() => ({
  // No artifact is read here: describeDeployment, and starting the next queued deployment after a rollback.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));

export const handler = async (
  event: CodeDeployStateChange,
  context: Context,
): Promise<DeploymentEventOutcome> => {
  logger.addContext(context);
  const outcome = await onDeploymentStateChange(event, ports());
  logger.info('deployment event', {
    deploymentId: event.detail?.deploymentId,
    state: event.detail?.state,
    outcome,
  });
  return outcome;
};
