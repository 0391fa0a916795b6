/**
 * `sluice cancel --aws`: the same rules as locally (lambdas/core/cancel.ts), run on the caller's machine against
 * the deployed ledger with the caller's own credentials: SendTaskFailure at the gate and in the queue,
 * CodeDeploy StopDeployment with rollback during a deployment, StopExecution otherwise. Who cancelled is who
 * those credentials belong to (local/cli/aws-actor.ts); --as is only checked against it.
 */
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { LambdaCodeDeployTarget } from '../../lambdas/adapters/aws/lambda-codedeploy-target';
import { SfnExecutionStopper } from '../../lambdas/adapters/aws/sfn-execution-stopper';
import { SfnTaskCallbacks } from '../../lambdas/adapters/aws/sfn-task-callbacks';
import { CancelRefusedError, type CancelStarted, cancelRelease } from '../../lambdas/core/cancel';
import { type Clock, systemClock } from '../../lambdas/core/ports';
import { Ledger } from '../../lambdas/ledger/ledger';
import { provenActor } from './aws-actor';

export interface AwsCancelOptions {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly catalogFile: string;
  /** @default - clients from the usual AWS environment */
  readonly clients?: {
    readonly dynamo: DynamoDBClient;
    readonly sfn: SFNClient;
    readonly sts: STSClient;
    readonly codeDeploy: CodeDeployClient;
  };
  /** @default the system clock */
  readonly clock?: Clock;
}

export interface AwsCancelRequest {
  readonly releaseId: string;
  readonly reason: string;
  /** Checked against who the credentials prove. @default - not checked */
  readonly as?: string;
}

/** Cancels the release in AWS; resolves once the stop has been asked for. */
export async function cancelOnAws(
  request: AwsCancelRequest,
  options: AwsCancelOptions,
): Promise<CancelStarted> {
  const clients = options.clients ?? {
    dynamo: new DynamoDBClient({}),
    sfn: new SFNClient({}),
    sts: new STSClient({}),
    codeDeploy: new CodeDeployClient({}),
  };
  const ledger = Ledger.forTable(clients.dynamo, options.tableName);
  const record = await ledger.getRelease(request.releaseId);
  const requestedBy = await provenActor({
    sts: clients.sts,
    catalogFile: options.catalogFile,
    service: record?.service,
    ...(request.as !== undefined ? { as: request.as } : {}),
    refuse: (message) => new CancelRefusedError(message),
  });
  return cancelRelease(
    { releaseId: request.releaseId, reason: request.reason, requestedBy },
    {
      ledger,
      tasks: new SfnTaskCallbacks(clients.sfn),
      // Only GetDeployment and StopDeployment are used: no Lambda call, no artifact bucket.
      deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), clients.codeDeploy, ''),
      clock: options.clock ?? systemClock,
      executionStopper: new SfnExecutionStopper(clients.sfn, options.stateMachineArn),
    },
  );
}
