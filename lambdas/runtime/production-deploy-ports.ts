import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchServiceAlarms } from '../adapters/aws/cloudwatch-service-alarms';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import type { ProductionDeployPorts } from '../core/production-deploy';
import { Ledger } from '../ledger/ledger';
import { ENV } from './env';
import { requireEnv } from './wiring';

/**
 * The AWS adapters behind the production lock (ProductionDeployPorts): every handler that can start a
 * deployment, or hand the lock to the next queued release, builds them the same way.
 * @param artifactBucket where staged artifacts live; only Deploy reads one, so the others pass none.
 */
export function awsProductionDeployPorts(artifactBucket = ''): ProductionDeployPorts {
  return {
    deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), artifactBucket),
    alarms: new CloudWatchServiceAlarms(new CloudWatchClient({})),
    ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
    tasks: new SfnTaskCallbacks(new SFNClient({})),
    clock: systemClock,
  };
}
