/**
 * What reports may show of ledger records, as allow-lists: a report copies only the fields named here, so a
 * field added to a record later (a task token, a secret) stays out of `/api/status`, `sluice status --json`
 * and `sluice approvals` until someone names it.
 */
import type { ApprovalRecord, ReleaseRecord } from '../../lambdas/ledger/ledger';

const APPROVAL_FIELDS = [
  'approvalId',
  'releaseId',
  'service',
  'approvers',
  'required',
  'status',
  'requestedAt',
  'expiresAt',
  'decidedBy',
  'decidedAt',
  'comment',
  'details',
  'votes',
  'authors',
  'supersededBy',
  'releaseAt',
  'holdReason',
  'windows',
  'freezes',
] as const satisfies readonly (keyof ApprovalRecord)[];

const RELEASE_FIELDS = [
  'releaseId',
  'service',
  'mode',
  'commit',
  'commits',
  'startedAt',
  'trigger',
  'status',
  'attempt',
  'attempts',
  'retry',
  'cancellation',
  // Which artifact (key, sha256) the release built and deployed: kept for audit and promoted by a retry.
  'artifact',
  'stages',
  'outcome',
  'version',
  'deploymentId',
  'shadow',
  'stoppedByAlarm',
  'rollback',
  'baseline',
] as const satisfies readonly (keyof ReleaseRecord)[];

/** An approval request as reports show it: never its task token. */
export type ApprovalView = Pick<ApprovalRecord, (typeof APPROVAL_FIELDS)[number]>;
/** A release as reports show it: never its deploy task token. */
export type ReleaseView = Pick<ReleaseRecord, (typeof RELEASE_FIELDS)[number]>;

function pick<T extends object, K extends keyof T>(record: T, keys: readonly K[]): Pick<T, K> {
  const shown: Partial<Pick<T, K>> = {};
  for (const key of keys) if (record[key] !== undefined) shown[key] = record[key];
  return shown as Pick<T, K>;
}

export const approvalView = (record: ApprovalRecord): ApprovalView => pick(record, APPROVAL_FIELDS);
export const releaseView = (record: ReleaseRecord): ReleaseView => pick(record, RELEASE_FIELDS);
