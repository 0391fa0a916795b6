/**
 * The approval policy, one core for every channel (the link's page, Slack, the CLI): allow-list, quorum,
 * any rejection ends it, no self-approval, expiry, supersede. Votes are stored on the approval item with
 * conditional writes, so a replayed request changes nothing and only one caller ever resumes the execution.
 */

import { LedgerConflictError } from '../ledger/errors';
import type { ApprovalChannelUsed, ApprovalRecord, ApprovalVote, Ledger } from '../ledger/ledger';
import { sharedIdentity } from './approver-identity';
import { ApprovalExpiredError, ApprovalSupersededError, ReleaseCancelledError } from './errors';
import { parseIsoTime } from './iso-time';
import type { ApprovalResult } from './model';
import type { Clock, TaskCallbacks } from './ports';
import { nextReleaseTime } from './release-windows';

export type DecisionPorts = { readonly ledger: Ledger; readonly tasks: TaskCallbacks; readonly clock: Clock };

export interface DecisionRequest {
  readonly approvalId: string;
  /** Who decides: an approver's email (from the signed link, the Slack user mapping, or `--as`). */
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly channel: ApprovalChannelUsed;
  readonly comment?: string;
  /** Requested release time, ISO 8601 (a time without a zone is UTC). */
  readonly releaseAt?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** The AWS principal (ARN) the caller proved with STS (`sluice approve --aws`), kept with the vote and audit. */
  readonly principalArn?: string;
}

export type RefusalCode =
  | 'unknown'
  | 'not-approver'
  | 'self-approval'
  | 'already-voted'
  | 'decided'
  | 'expired'
  | 'superseded'
  | 'cancelled'
  | 'aborted'
  | 'invalid-release-time';

export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  readonly message: string;
  readonly approval?: ApprovalRecord;
}

export interface Accepted {
  readonly ok: true;
  /** `waiting`: the vote counted, more approvals are needed. */
  readonly outcome: 'waiting' | 'approved' | 'rejected';
  readonly message: string;
  readonly approval: ApprovalRecord;
}

/** HTTP status for each refusal: a clear refusal that changed nothing. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  unknown: 404,
  'not-approver': 403,
  'self-approval': 403,
  'already-voted': 409,
  decided: 409,
  expired: 410,
  superseded: 410,
  cancelled: 410,
  aborted: 410,
  'invalid-release-time': 400,
};

/** The longest an approver may push a release out. */
export const MAX_RELEASE_DELAY_MS = 14 * 24 * 3600_000;
const MAX_COMMENT = 1000;

const refuse = (code: RefusalCode, message: string, approval?: ApprovalRecord): Refusal => ({
  ok: false,
  code,
  message,
  ...(approval ? { approval } : {}),
});

/** The email in `Name <email>`, or the whole string; lowercase. */
export function emailOf(author: string): string {
  return (/<([^>]+)>/.exec(author)?.[1] ?? author).trim().toLowerCase();
}

/** Why a non-pending approval takes no more decisions, in words for the page, Slack and the CLI. */
export function closedMessage(approval: ApprovalRecord): { code: RefusalCode; message: string } {
  switch (approval.status) {
    case 'expired':
      return {
        code: 'expired',
        message: `This approval request expired at ${approval.expiresAt}; the release was not deployed.`,
      };
    case 'superseded':
      return {
        code: 'superseded',
        message: `This approval request was superseded by release ${approval.supersededBy ?? 'a newer release'}; decide on that one instead.`,
      };
    case 'cancelled':
      return {
        code: 'cancelled',
        message: `This release was cancelled by ${approval.decidedBy ?? 'someone'}${approval.comment ? `: ${approval.comment}` : ''}; it takes no more decisions.`,
      };
    case 'aborted':
      return {
        code: 'aborted',
        message: `This release ended before a decision (${approval.comment || 'its execution ended'}); it was not deployed, and this request takes no more decisions.`,
      };
    default:
      return {
        code: 'decided',
        message: `This request was already ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}; nothing changed.`,
      };
  }
}

export function approvalsSoFar(approval: ApprovalRecord): string[] {
  return Object.entries(approval.votes ?? {})
    .filter(([, v]) => v.decision === 'approved' && !v.notCounted)
    .sort(([, a], [, b]) => a.at.localeCompare(b.at))
    .map(([who]) => who);
}

/** Parses a requested release time; a time without a zone (an HTML datetime-local) is UTC. */
export function parseReleaseAt(text: string, now: Date): Date | string {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.test(trimmed)) {
    return `Release time ${JSON.stringify(trimmed.slice(0, 40))} is not a date and time such as 2026-03-02T14:00Z.`;
  }
  const ms = parseIsoTime(trimmed);
  if (ms === undefined) {
    return `Release time ${JSON.stringify(trimmed)} is not a date and time that exists (check the day of the month and the hour).`;
  }
  const at = new Date(ms);
  if (at.getTime() - now.getTime() > MAX_RELEASE_DELAY_MS) {
    return `Release time ${at.toISOString()} is more than 14 days away; choose an earlier time.`;
  }
  return at;
}

/** Whether the request's expiry has passed at `now`. */
export function isPastExpiry(approval: Pick<ApprovalRecord, 'expiresAt'>, now: Date): boolean {
  return new Date(approval.expiresAt).getTime() <= now.getTime();
}

/**
 * Applies one vote under the policy. `loaded`: the approval as the caller already read it (the page and Slack
 * read it to authenticate the caller); the vote itself is a conditional write, so a snapshot is enough.
 */
export async function decide(
  req: DecisionRequest,
  ports: DecisionPorts,
  loaded?: ApprovalRecord,
): Promise<Accepted | Refusal> {
  const now = ports.clock.now();
  const approval = loaded ?? (await ports.ledger.getApproval(req.approvalId));
  if (!approval) return refuse('unknown', `There is no approval request ${req.approvalId}.`);
  const approver = approval.approvers.find((a) => a.toLowerCase() === req.approver.trim().toLowerCase());
  if (!approver) {
    return refuse(
      'not-approver',
      `${req.approver} is not an approver of ${approval.service}; the catalog allows ${approval.approvers.join(', ')}.`,
      approval,
    );
  }
  if (approval.status !== 'pending') {
    const closed = closedMessage(approval);
    return refuse(closed.code, closed.message, approval);
  }
  if (isPastExpiry(approval, now)) {
    return refuse('expired', `This approval request expired at ${approval.expiresAt}.`, approval);
  }
  if (req.decision === 'approve') {
    // Every identity of the approver against everyone who made the changes (records from before identities
    // were kept list authors only).
    const mine = [
      ...(approval.approverIdentities?.[approver] ?? [emailOf(approver)]),
      ...(req.principalArn ? [req.principalArn] : []),
    ];
    const shared = sharedIdentity(mine, [...(approval.authors ?? []), ...(approval.changeIdentities ?? [])]);
    if (shared !== undefined) {
      return refuse(
        'self-approval',
        `${approver} authored, committed or pushed a change in this release (as ${shared}) and cannot approve it; another approver must.`,
        approval,
      );
    }
  }
  const earlier =
    approval.votes && Object.hasOwn(approval.votes, approver) ? approval.votes[approver] : undefined;
  if (earlier) {
    return refuse(
      'already-voted',
      `${approver} already voted (${earlier.decision}); nothing changed.`,
      approval,
    );
  }
  let releaseAt: Date | undefined;
  if (req.releaseAt?.trim()) {
    const parsed = parseReleaseAt(req.releaseAt, now);
    if (typeof parsed === 'string') return refuse('invalid-release-time', parsed, approval);
    releaseAt = parsed;
  }

  const comment = req.comment?.trim().slice(0, MAX_COMMENT);
  const vote: ApprovalVote = {
    decision: req.decision === 'approve' ? 'approved' : 'rejected',
    at: now.toISOString(),
    channel: req.channel,
    ...(comment ? { comment } : {}),
    ...(releaseAt ? { releaseAt: releaseAt.toISOString() } : {}),
    ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
    ...(req.userAgent ? { userAgent: req.userAgent.slice(0, 300) } : {}),
    ...(req.principalArn ? { principalArn: req.principalArn } : {}),
  };
  let voted: ApprovalRecord;
  try {
    voted = await ports.ledger.castVote(approval.approvalId, approver, vote);
  } catch (error) {
    if (!(error instanceof LedgerConflictError)) throw error;
    const current = (await ports.ledger.getApproval(approval.approvalId)) ?? approval;
    if (current.status !== 'pending') {
      const closed = closedMessage(current);
      return refuse(closed.code, closed.message, current);
    }
    return refuse('already-voted', `${approver} already voted; nothing changed.`, current);
  }
  await ports.ledger.audit({
    approvalId: approval.approvalId,
    kind: 'voted',
    at: vote.at,
    actor: approver,
    channel: req.channel,
    ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
    ...(req.userAgent ? { userAgent: vote.userAgent } : {}),
    ...(req.principalArn ? { principalArn: req.principalArn } : {}),
    detail: `${vote.decision}${comment ? `: ${comment}` : ''}${vote.releaseAt ? ` (release at ${vote.releaseAt})` : ''}`,
  });

  const approvers = approvalsSoFar(voted);
  if (vote.decision === 'approved' && approvers.length < voted.required) {
    return {
      ok: true,
      outcome: 'waiting',
      message: `Approval by ${approver} recorded: ${approvers.length} of ${voted.required} approvals; waiting for ${voted.required - approvers.length} more.`,
      approval: voted,
    };
  }
  return close(voted, approver, vote, ports);
}

/** Quorum reached or a rejection: close the approval once and resume the execution. */
async function close(
  approval: ApprovalRecord,
  approver: string,
  vote: ApprovalVote,
  ports: DecisionPorts,
): Promise<Accepted | Refusal> {
  const approved = vote.decision === 'approved';
  const decidedBy = approved ? approvalsSoFar(approval).join(', ') : approver;
  let releaseAt: string | undefined;
  let holdReason: string | undefined;
  if (approved) {
    // The latest time any approver asked for, then the next open window outside any freeze.
    const asked = Object.values(approval.votes ?? {})
      .map((v) => v.releaseAt)
      .filter((t): t is string => !!t)
      .sort()
      .pop();
    const from = asked && asked > vote.at ? new Date(asked) : new Date(vote.at);
    const next = nextReleaseTime(from, approval.windows, approval.freezes);
    releaseAt = next.at.toISOString();
    const reasons = [
      ...(asked && asked > vote.at ? [`release time ${asked} requested`] : []),
      ...(next.reason ? [next.reason] : []),
    ];
    holdReason = reasons.length ? reasons.join('; ') : undefined;
  }
  let closed: ApprovalRecord;
  try {
    closed = await ports.ledger.decideApproval(approval.approvalId, {
      status: vote.decision,
      decidedBy,
      decidedAt: vote.at,
      comment: vote.comment ?? '',
      ...(releaseAt ? { releaseAt } : {}),
      ...(holdReason ? { holdReason } : {}),
    });
  } catch (error) {
    if (!(error instanceof LedgerConflictError)) throw error;
    // Another vote closed it at the same moment, that caller resumed the execution: this vote lost the race.
    // It is marked not counted and the voter is told, instead of being told it was recorded.
    const current = (await ports.ledger.getApproval(approval.approvalId)) ?? approval;
    const reason = `the request was ${current.status}${current.decidedBy ? ` by ${current.decidedBy}` : ''} first`;
    await ports.ledger.markVoteNotCounted(approval.approvalId, approver, reason);
    await ports.ledger.audit({
      approvalId: approval.approvalId,
      kind: 'voted',
      at: ports.clock.now().toISOString(),
      actor: approver,
      channel: vote.channel,
      detail: `${vote.decision} not counted: ${reason}`,
    });
    return refuse(
      'decided',
      `Your ${vote.decision === 'approved' ? 'approval' : 'rejection'} came too late: ${reason}. It was not counted; nothing changed.`,
      current,
    );
  }
  await ports.ledger.audit({
    approvalId: approval.approvalId,
    kind: 'decided',
    at: vote.at,
    actor: decidedBy,
    channel: vote.channel,
    detail: `${vote.decision}${holdReason ? `; deploy held: ${holdReason}` : ''}`,
  });
  const result: ApprovalResult = {
    approvalId: approval.approvalId,
    decision: vote.decision,
    decidedBy,
    decidedAt: vote.at,
    ...(vote.comment ? { comment: vote.comment } : {}),
    ...(releaseAt ? { releaseAt } : {}),
    ...(holdReason ? { holdReason } : {}),
  };
  await ports.tasks.succeed(approval.taskToken, result);
  return {
    ok: true,
    outcome: vote.decision,
    message: approved
      ? `Approved by ${decidedBy}. ${holdReason ? `The deploy waits until ${releaseAt} (${holdReason}).` : 'The release continues to production.'}`
      : `Rejected by ${approver}. The release is stopped.`,
    approval: closed,
  };
}

/** How a pending approval closes without a decision, why, and who ended it. */
export interface PendingEnd {
  readonly status: 'expired' | 'superseded' | 'cancelled' | 'aborted';
  readonly reason: string;
  readonly supersededBy?: string;
  /** Who ended it (a person cancelling the release). @default 'sluice' */
  readonly by?: string;
}

/** The task failure each end that resumes its execution fails it with (Record turns it into the status). */
const END_ERROR = {
  expired: ApprovalExpiredError,
  superseded: ApprovalSupersededError,
  cancelled: ReleaseCancelledError,
} as const;

/**
 * Closes a pending approval without a decision, once, and audits it; the reason of a cancelled or aborted one is
 * kept as its comment, for its links. Returns false when it was no longer pending. Resumes nothing: see
 * endPending.
 */
export async function closePending(
  approval: ApprovalRecord,
  end: PendingEnd,
  ports: Pick<DecisionPorts, 'ledger' | 'clock'>,
): Promise<boolean> {
  const at = ports.clock.now().toISOString();
  const by = end.by ?? 'sluice';
  try {
    await ports.ledger.decideApproval(approval.approvalId, {
      status: end.status,
      decidedBy: by,
      decidedAt: at,
      ...(end.status === 'cancelled' || end.status === 'aborted' ? { comment: end.reason } : {}),
      ...(end.supersededBy ? { supersededBy: end.supersededBy } : {}),
    });
  } catch (error) {
    if (error instanceof LedgerConflictError) return false;
    throw error;
  }
  await ports.ledger.audit({
    approvalId: approval.approvalId,
    kind: end.status,
    at,
    actor: by,
    channel: by === 'sluice' ? 'system' : 'cli',
    detail: end.reason,
  });
  return true;
}

/**
 * Ends a pending approval without a decision (expiry, supersede, cancel): closes it once, audits it, and fails
 * its task with a named error (`ApprovalExpired` / `ApprovalSuperseded` / `ReleaseCancelled`) that Record turns
 * into the release's status. Returns false when it was no longer pending.
 */
export async function endPending(
  approval: ApprovalRecord,
  end: PendingEnd & { readonly status: keyof typeof END_ERROR },
  ports: DecisionPorts,
): Promise<boolean> {
  if (!(await closePending(approval, end, ports))) return false;
  try {
    const error = new END_ERROR[end.status](end.reason);
    await ports.tasks.fail(approval.taskToken, error.name, end.reason);
  } catch (error) {
    // The execution already ended (both task adapters name this TaskTokenExpiredError): nothing to fail.
    if ((error as Error).name !== 'TaskTokenExpiredError') throw error;
  }
  return true;
}

/**
 * A release ended without a decision at its gate (its execution stopped, timed out or failed; a local runtime
 * stopped): its pending approval, if any, closes as `aborted`, so its links say the release ended and take no
 * more decisions. Nothing is resumed: the execution is gone. Returns whether one was closed.
 */
export async function abortPendingApproval(
  release: { readonly releaseId: string; readonly service: string },
  reason: string,
  ports: Pick<DecisionPorts, 'ledger' | 'clock'>,
): Promise<boolean> {
  // At most one request of a service is pending (a newer one supersedes it), and it is among the newest.
  const pending = (await ports.ledger.listApprovals(release.service)).find(
    (a) => a.releaseId === release.releaseId && a.status === 'pending',
  );
  return pending ? closePending(pending, { status: 'aborted', reason }, ports) : false;
}
