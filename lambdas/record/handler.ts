import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { CloudWatchServiceAlarms } from '../adapters/aws/cloudwatch-service-alarms';
import { EmfReleaseMetrics } from '../adapters/aws/emf-release-metrics';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { portsFor, requireEnv } from '../runtime/wiring';
import { type RecordInput, type RecordResult, recordRelease } from './record';

const ports = portsFor(() => ({
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  releaseMetrics: new EmfReleaseMetrics(),
  clock: systemClock,
  // Record hands the production lock to the next waiting release and starts its deployment.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
}));

export const handler = async (event: RecordInput, context: Context): Promise<RecordResult> => {
  logger.addContext(context);
  const outcome = await recordRelease(event, ports());
  logger.info('release recorded', { releaseId: event.releaseId, ...outcome });
  return outcome;
};
