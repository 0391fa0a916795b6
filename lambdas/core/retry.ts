/**
 * `sluice retry`: a release that ended for a reason outside its commit (a flaky test, an expired approval, an
 * alarm already firing at preflight, a stopped, cancelled or timed-out execution) runs again as its next attempt. What a
 * person or an alarm judged (rejected, rolled back), what succeeded and what was replaced is not retried: the
 * fix for those is a new commit.
 */
import type { ReleaseRequest, ReleaseStatus } from './model';
import type { Ports } from './ports';
import { MAX_ATTEMPTS } from './push-routing';

export class RetryRefusedError extends Error {
  override readonly name = 'RetryRefusedError';
}

export interface RetryRequest {
  readonly releaseId: string;
  readonly reason: string;
  readonly requestedBy: string;
}

/** Why a release in each status that cannot be retried is refused. */
const REFUSED: Readonly<Partial<Record<ReleaseStatus, string>>> = {
  running: 'it is still running; wait for it to end (or cancel it)',
  succeeded: 'it succeeded; its commit went live',
  superseded: 'a newer release of the service replaced it at the gate; release that one',
  rejected: 'a person rejected it; the fix is a new commit',
  rolled_back: 'an alarm rolled its canary back; the fix is a new commit',
};

const RETRYABLE: ReadonlySet<ReleaseStatus> = new Set([
  'failed',
  'expired',
  'blocked',
  'timed_out',
  'aborted',
  'cancelled',
]);

/** Checks that `request` may retry its release and starts the next attempt's execution; returns its request. */
export async function retryRelease(
  request: RetryRequest,
  ports: Pick<Ports, 'ledger' | 'executions'>,
): Promise<ReleaseRequest> {
  const { releaseId } = request;
  if (!request.reason.trim())
    throw new RetryRefusedError('Give a reason: --reason TEXT says why in the audit.');
  if (!request.requestedBy.trim()) throw new RetryRefusedError('Say who retries it: --as EMAIL.');
  const record = await ports.ledger.getRelease(releaseId);
  if (!record)
    throw new RetryRefusedError(`Release ${releaseId} is not in the ledger; \`sluice status\` lists them.`);
  if (!RETRYABLE.has(record.status)) {
    const why = REFUSED[record.status] ?? `it ended ${record.status}`;
    throw new RetryRefusedError(`Release ${releaseId} cannot be retried: ${why}.`);
  }
  // A release that failed before LoadService found its commit (an unknown service) has nothing to run again.
  if (!record.commit?.sha) {
    throw new RetryRefusedError(`Release ${releaseId} never resolved a commit; release the service again.`);
  }
  const attempt = (record.attempt ?? 1) + 1;
  if (attempt > MAX_ATTEMPTS) {
    throw new RetryRefusedError(
      `Release ${releaseId} has had ${MAX_ATTEMPTS} attempts; release a new commit.`,
    );
  }
  const next: ReleaseRequest = {
    releaseId,
    service: record.service,
    commit: record.commit.sha,
    attempt,
    retry: { requestedBy: request.requestedBy, reason: request.reason },
    trigger: { source: 'manual', actor: request.requestedBy },
  };
  await ports.executions.start(next);
  return next;
}
