import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { CloudWatchServiceAlarms } from '../shared/aws/cloudwatch-service-alarms';
import { EmfReleaseMetrics } from '../shared/aws/emf-release-metrics';
import { LambdaCodeDeployTarget } from '../shared/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../shared/aws/sfn-task-callbacks';
import { ENV } from '../shared/env';
import { Ledger } from '../shared/ledger';
import { logger } from '../shared/observability';
import { systemClock } from '../shared/ports';
import { portsFor, requireEnv } from '../shared/wiring';
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
