/**
 * `sluice retry --aws`: the same rules as locally (lambdas/core/retry.ts), run on the caller's machine against
 * the deployed ledger, starting attempt n+1 with StartExecution under the caller's own credentials. Who retried
 * is who those credentials belong to (STS GetCallerIdentity, mapped through the service's catalog identities when
 * it maps to one person, else the principal ARN), never only a typed name: --as is checked against it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { SfnExecutionStarter } from '../../lambdas/adapters/aws/sfn-execution-starter';
import { executionNameOf } from '../../lambdas/core/push-routing';
import { RetryRefusedError, retryRelease } from '../../lambdas/core/retry';
import { Ledger } from '../../lambdas/ledger/ledger';
import type { RetryStarted } from '../retry-api';
import { provenActor } from './aws-actor';

export interface AwsRetryOptions {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly catalogFile: string;
  /** @default - clients from the usual AWS environment */
  readonly clients?: { readonly dynamo: DynamoDBClient; readonly sfn: SFNClient; readonly sts: STSClient };
}

export interface AwsRetryRequest {
  readonly releaseId: string;
  readonly reason: string;
  /** Checked against who the credentials prove. @default - not checked */
  readonly as?: string;
}

/** Starts the release's next attempt in AWS; resolves with who it was recorded as and the execution's name. */
export async function retryOnAws(
  request: AwsRetryRequest,
  options: AwsRetryOptions,
): Promise<RetryStarted & { readonly requestedBy: string }> {
  const clients = options.clients ?? {
    dynamo: new DynamoDBClient({}),
    sfn: new SFNClient({}),
    sts: new STSClient({}),
  };
  const ledger = Ledger.forTable(clients.dynamo, options.tableName);
  const record = await ledger.getRelease(request.releaseId);
  const requestedBy = await provenActor({
    sts: clients.sts,
    catalogFile: options.catalogFile,
    service: record?.service,
    ...(request.as !== undefined ? { as: request.as } : {}),
    refuse: (message) => new RetryRefusedError(message),
  });
  const next = await retryRelease(
    { releaseId: request.releaseId, reason: request.reason, requestedBy },
    { ledger, executions: new SfnExecutionStarter(clients.sfn, options.stateMachineArn) },
  );
  const attempt = next.attempt ?? 2;
  return {
    releaseId: next.releaseId,
    service: next.service,
    attempt,
    execution: executionNameOf(next.releaseId, attempt),
    requestedBy,
  };
}
