import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { CloudWatchCanaryBaseline } from '../adapters/aws/cloudwatch-canary-baseline';
import { CloudWatchServiceAlarms } from '../adapters/aws/cloudwatch-service-alarms';
import { EmfReleaseMetrics } from '../adapters/aws/emf-release-metrics';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type RecordInput, type RecordPorts, type RecordResult, recordRelease } from './record';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: RecordPorts) =>
  async (event: RecordInput, context: Context): Promise<RecordResult> => {
    logger.addContext(context);
    const outcome = await recordRelease(event, ports);
    logger.info('release recorded', { releaseId: event.releaseId, ...outcome });
    return outcome;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => {
  const cloudWatch = new CloudWatchClient({});
  return {
    ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
    releaseMetrics: new EmfReleaseMetrics(),
    clock: systemClock,
    // Record hands the production lock to the next waiting release and starts its deployment.
    deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
    alarms: new CloudWatchServiceAlarms(cloudWatch),
    // After each canary: both versions' figures over the bake, for the release record.
    baselines: new CloudWatchCanaryBaseline(cloudWatch),
    tasks: new SfnTaskCallbacks(new SFNClient({})),
  };
});
