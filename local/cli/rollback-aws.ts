/** `sluice rollback --aws`: the rollback core with the AWS adapters (Lambda + CodeDeploy, DynamoDB ledger). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchServiceAlarms } from '../../lambdas/adapters/aws/cloudwatch-service-alarms';
import { LambdaCodeDeployTarget } from '../../lambdas/adapters/aws/lambda-codedeploy-target';
import { SfnTaskCallbacks } from '../../lambdas/adapters/aws/sfn-task-callbacks';
import { type Clock, systemClock } from '../../lambdas/core/ports';
import { type RollbackRequest, startRollback } from '../../lambdas/core/rollback';
import { Ledger, type ReleaseRecord } from '../../lambdas/ledger/ledger';
import { FileCatalogStore } from '../adapters/file-catalog-store';

export interface AwsRollbackOptions {
  readonly tableName: string;
  readonly catalogFile: string;
  /** How long to wait for the deployment's end to be recorded; 0 returns once it started. */
  readonly waitMs: number;
  readonly log?: (line: string) => void;
  /** @default new clients from the default AWS configuration */
  readonly clients?: {
    lambda: LambdaClient;
    codeDeploy: CodeDeployClient;
    dynamo: DynamoDBClient;
    /** Preflight and the task token of a release queued behind the rollback, should it fail. */
    cloudWatch?: CloudWatchClient;
    sfn?: SFNClient;
  };
  /** @default 5000 */
  readonly pollMs?: number;
  readonly clock?: Clock;
}

/**
 * Starts the rollback in AWS and waits for deployment-events to record its end (reading the ledger from the
 * command line; nothing polls inside the pipeline).
 */
export async function rollbackOnAws(
  request: RollbackRequest,
  options: AwsRollbackOptions,
): Promise<ReleaseRecord> {
  const clients = options.clients ?? {
    lambda: new LambdaClient({}),
    codeDeploy: new CodeDeployClient({}),
    dynamo: new DynamoDBClient({}),
  };
  const ledger = Ledger.forTable(clients.dynamo, options.tableName);
  const started = await startRollback(request, {
    catalog: new FileCatalogStore(options.catalogFile),
    deployTarget: new LambdaCodeDeployTarget(clients.lambda, clients.codeDeploy, ''),
    ledger,
    alarms: new CloudWatchServiceAlarms(clients.cloudWatch ?? new CloudWatchClient({})),
    tasks: new SfnTaskCallbacks(clients.sfn ?? new SFNClient({})),
    clock: options.clock ?? systemClock,
  });
  options.log?.(
    `rollback ${started.releaseId}: CodeDeploy deployment ${started.deploymentId}, v${started.fromVersion ?? '-'} → v${started.toVersion}`,
  );
  const until = Date.now() + options.waitMs;
  for (;;) {
    const record = await ledger.requireRelease(started.releaseId);
    if (record.status !== 'running' || Date.now() >= until) return record;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5000));
  }
}
