import { approvalsSoFar, type DecisionPorts, endPending, isPastExpiry } from '../core/approval-decision';

/** What the one-time schedule (EventBridge Scheduler; a timer locally) invokes the handler with. */
export interface ApprovalExpiryEvent {
  readonly approvalId: string;
}

export type ExpiryResult = 'expired' | 'not-pending' | 'not-due' | 'unknown';

/**
 * Ends an approval request that is still pending at its expiry: the release is recorded as expired and every
 * link says so. Early or repeated invocations change nothing.
 */
export async function expireApproval(
  event: ApprovalExpiryEvent,
  ports: DecisionPorts,
): Promise<ExpiryResult> {
  if (typeof event?.approvalId !== 'string') return 'unknown';
  const approval = await ports.ledger.getApproval(event.approvalId);
  if (!approval) return 'unknown';
  if (approval.status !== 'pending') return 'not-pending';
  if (!isPastExpiry(approval, ports.clock.now())) return 'not-due';
  const approvals = approvalsSoFar(approval);
  const ended = await endPending(
    approval,
    {
      status: 'expired',
      reason: `No decision before ${approval.expiresAt}: ${approvals.length} of ${approval.required} approvals${
        approvals.length ? ` (${approvals.join(', ')})` : ''
      }`,
    },
    ports,
  );
  return ended ? 'expired' : 'not-pending';
}
