import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import type { ReleaseDocument, StageResult } from '../core/model';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { STAGE_UPDATE_WAIT_SECONDS, type StagePorts, stageRelease } from './stage';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: StagePorts) =>
  async (event: ReleaseDocument, context: Context): Promise<StageResult> => {
    logger.addContext(context);
    const result = await stageRelease(event, ports);
    logger.info('staged', { releaseId: event.releaseId, version: result.version });
    return result;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  deployTarget: new LambdaCodeDeployTarget(
    new LambdaClient({}),
    new CodeDeployClient({}),
    requireEnv(ENV.artifactBucket),
    { updateTimeoutSeconds: STAGE_UPDATE_WAIT_SECONDS },
  ),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  clock: systemClock,
}));
