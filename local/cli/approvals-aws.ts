/**
 * `sluice approvals|approve|reject --aws`: the same policy core as the page and Slack, run on the caller's
 * machine against the deployed ledger, resuming the execution with the caller's own credentials.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnTaskCallbacks } from '../../lambdas/adapters/aws/sfn-task-callbacks';
import { decide } from '../../lambdas/core/approval-decision';
import { requireCatalogFile } from '../../lambdas/core/catalog/load';
import { type Clock, systemClock } from '../../lambdas/core/ports';
import { Ledger } from '../../lambdas/ledger/ledger';
import { listApprovalsWithAudit } from '../approval-runtime';
import type { ApprovalsBackend, ListedApproval } from './approvals-backend';
import { UsageError } from './command';

export interface AwsApprovalsOptions {
  readonly tableName: string;
  readonly catalogFile: string;
  /** @default - clients from the usual AWS environment */
  readonly dynamo?: DynamoDBClient;
  readonly sfn?: SFNClient;
  readonly clock?: Clock;
}

export function awsApprovalsBackend(options: AwsApprovalsOptions): ApprovalsBackend {
  const ledger = Ledger.forTable(options.dynamo ?? new DynamoDBClient({}), options.tableName);
  const tasks = new SfnTaskCallbacks(options.sfn ?? new SFNClient({}));
  return {
    async list(service) {
      const approvals = await listApprovalsWithAudit(
        ledger,
        requireCatalogFile(options.catalogFile),
        service,
      );
      if (!approvals) throw new UsageError(`unknown service ${service}`);
      return approvals as ListedApproval[];
    },
    async decide(approvalId, input) {
      const result = await decide(
        {
          approvalId,
          approver: input.as,
          decision: input.decision,
          channel: 'cli',
          ...(input.comment ? { comment: input.comment } : {}),
          ...(input.releaseAt ? { releaseAt: input.releaseAt } : {}),
          userAgent: 'sluice-cli (aws)',
        },
        { ledger, tasks, clock: options.clock ?? systemClock },
      );
      return result.ok
        ? { ok: true, message: result.message }
        : { ok: false, refused: result.code, message: result.message };
    },
  };
}
