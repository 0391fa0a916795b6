/**
 * `sluice approvals|approve|reject --aws`: the same policy core as the page and Slack, run on the caller's
 * machine against the deployed ledger, resuming the execution with the caller's own credentials. The approver
 * is who those credentials belong to (STS GetCallerIdentity, mapped through the catalog's identities), never a
 * typed name: the principal ARN is kept with the vote and in the audit trail.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { SfnTaskCallbacks } from '../../lambdas/adapters/aws/sfn-task-callbacks';
import { StsCallerIdentity } from '../../lambdas/adapters/aws/sts-caller-identity';
import { decide } from '../../lambdas/core/approval-decision';
import { approversOfPrincipal } from '../../lambdas/core/approver-identity';
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
  readonly sts?: STSClient;
  readonly clock?: Clock;
}

export function awsApprovalsBackend(options: AwsApprovalsOptions): ApprovalsBackend {
  const ledger = Ledger.forTable(options.dynamo ?? new DynamoDBClient({}), options.tableName);
  const tasks = new SfnTaskCallbacks(options.sfn ?? new SFNClient({}));
  const callerIdentity = new StsCallerIdentity(options.sts ?? new STSClient({}));
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
      // The approver is who the caller's credentials prove, mapped through the catalog; --as only checks it.
      const principalArn = await callerIdentity.principalArn();
      const approval = await ledger.getApproval(approvalId);
      if (!approval)
        return { ok: false, refused: 'unknown', message: `There is no approval request ${approvalId}.` };
      const policy = requireCatalogFile(options.catalogFile).services.find(
        (s) => s.name === approval.service,
      )?.approval;
      const mapped = policy ? approversOfPrincipal(policy, principalArn) : [];
      const [approver] = mapped;
      if (mapped.length !== 1 || approver === undefined) {
        return {
          ok: false,
          refused: 'not-approver',
          message:
            mapped.length === 0
              ? `Your AWS principal ${principalArn} maps to no approver of ${approval.service}; the catalog lists IAM principals under services[].approval.identities.<approver>.iamPrincipals.`
              : `Your AWS principal ${principalArn} maps to ${mapped.join(' and ')}; the catalog must map it to one approver.`,
        };
      }
      if (input.as !== undefined && input.as.trim().toLowerCase() !== approver.toLowerCase()) {
        return {
          ok: false,
          refused: 'not-approver',
          message: `--as ${input.as} does not match who your AWS credentials are (${principalArn}, approver ${approver}); nothing changed.`,
        };
      }
      const result = await decide(
        {
          approvalId,
          approver,
          principalArn,
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
