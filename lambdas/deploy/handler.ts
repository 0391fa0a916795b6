import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../shared/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../shared/aws/sfn-task-callbacks';
import { ENV } from '../shared/env';
import { Ledger } from '../shared/ledger';
import { logger } from '../shared/observability';
import { portsFor, requireEnv } from '../shared/wiring';
import { type DeployInput, startDeploy } from './deploy';

const ports = portsFor(() => ({
  deployTarget: new LambdaCodeDeployTarget(
    new LambdaClient({}),
    new CodeDeployClient({}),
    requireEnv(ENV.artifactBucket),
  ),
  ledger: new Ledger(DynamoDBDocumentClient.from(new DynamoDBClient({})), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
}));

export const handler = async (event: DeployInput, context: Context): Promise<{ deploymentId: string }> => {
  logger.addContext(context);
  const result = await startDeploy(event, ports());
  logger.info('deployment started', { releaseId: event.releaseId, deploymentId: result.deploymentId });
  return result;
};
