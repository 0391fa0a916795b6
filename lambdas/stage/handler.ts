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
import { portsFor, requireEnv } from '../runtime/wiring';
import { STAGE_UPDATE_WAIT_SECONDS, stageRelease } from './stage';

const ports = portsFor(() => ({
  deployTarget: new LambdaCodeDeployTarget(
    new LambdaClient({}),
    new CodeDeployClient({}),
    requireEnv(ENV.artifactBucket),
    { updateTimeoutSeconds: STAGE_UPDATE_WAIT_SECONDS },
  ),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  clock: systemClock,
}));

export const handler = async (event: ReleaseDocument, context: Context): Promise<StageResult> => {
  logger.addContext(context);
  const result = await stageRelease(event, ports());
  logger.info('staged', { releaseId: event.releaseId, version: result.version });
  return result;
};
