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
export const handler = onAwsPorts(makeHandler, () => ({
  deployTarget: new LambdaCodeDeployTarget(
    new LambdaClient({}),
    new CodeDeployClient({}),
    requireEnv(ENV.artifactBucket),
  ),
  alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));
