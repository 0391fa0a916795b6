import {
  approvalsSoFar,
  closedMessage,
  decide,
  isPastExpiry,
  REFUSAL_STATUS,
  type Refusal,
} from '../core/approval-decision';
import { checkFormToken, checkLink, formToken, type LinkClaims } from '../core/approval-links';
import type { ApprovalStatus } from '../ledger/ledger';
import { renderApprovalPage, renderMessagePage } from './approval-page';
import type { ApprovalApiPorts, ApprovalHttpRequest, ApprovalHttpResponse } from './http';
import { handleSlackInteraction } from './slack-interactions';

export const MAX_BODY_BYTES = 16 * 1024;

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carries a signature: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

export const respond = (statusCode: number, body: string): ApprovalHttpResponse => ({
  statusCode,
  headers: { ...HEADERS },
  body,
});
const refuse = (statusCode: number, title: string, message: string) =>
  respond(statusCode, renderMessagePage(title, message, 'error'));

/** Reads the link's claims (from the query on GET, from the form on POST); undefined when malformed. */
function readClaims(approvalId: string, fields: URLSearchParams): LinkClaims | undefined {
  const a = fields.get('a') ?? '';
  const exp = fields.get('exp') ?? '';
  if (!/^\d{1,3}$/.test(a) || !/^\d{1,12}$/.test(exp)) return undefined;
  return { approvalId, approverIndex: Number(a), expiresAt: Number(exp) };
}

/** Requests closed without a decision: their links answer 410 and say why. */
const CLOSED_UNDECIDED: ReadonlySet<ApprovalStatus> = new Set([
  'expired',
  'superseded',
  'cancelled',
  'aborted',
]);

const TITLES: Record<Refusal['code'], string> = {
  unknown: 'Unknown approval',
  'not-approver': 'Not an approver',
  'self-approval': 'You cannot approve your own change',
  'already-voted': 'Already decided',
  decided: 'Already decided',
  expired: 'Link expired',
  superseded: 'Superseded',
  cancelled: 'Release cancelled',
  aborted: 'Release ended',
  'invalid-release-time': 'Invalid release time',
};

/**
 * GET shows the release and a form; POST (from that form) decides, under the policy in approval-decision.
 * Every refusal changes nothing. `/slack/interactions` takes Slack's button presses.
 */
export async function handleApprovalHttp(
  req: ApprovalHttpRequest,
  ports: ApprovalApiPorts,
): Promise<ApprovalHttpResponse> {
  if (Buffer.byteLength(req.body) > MAX_BODY_BYTES)
    return refuse(413, 'Too large', 'The request body is too large.');
  if (req.path === '/slack/interactions') return handleSlackInteraction(req, ports);
  const approvalId = /^\/approvals\/([A-Za-z0-9_-]{10,64})$/.exec(req.path)?.[1];
  if (approvalId === undefined) return refuse(404, 'Not found', 'There is no page here.');
  if (req.method !== 'GET' && req.method !== 'POST')
    return refuse(405, 'Method not allowed', `${req.method} is not allowed.`);

  const fields = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
  const claims = readClaims(approvalId, fields);
  if (!claims)
    return refuse(400, 'Invalid link', 'This link is incomplete. Open the link from your message again.');

  const key = await ports.signingKeys.signingKey();
  const now = ports.clock.now();
  const linkCheck = checkLink(key, claims, fields.get('sig') ?? undefined, now);
  if (linkCheck === 'bad-signature') return refuse(403, 'Invalid link', 'This link is not valid.');

  const approval = await ports.ledger.getApproval(approvalId);
  if (!approval) return refuse(404, 'Unknown approval', 'There is no approval request with this id.');
  const approver = approval.approvers[claims.approverIndex];
  if (!approver) return refuse(403, 'Invalid link', 'This link is not valid.');
  if (CLOSED_UNDECIDED.has(approval.status)) {
    const closed = closedMessage(approval);
    return respond(410, renderApprovalPage(approval, approver, undefined, closed.message));
  }
  const expired = linkCheck === 'expired' || isPastExpiry(approval, now);
  if (expired && approval.status === 'pending') {
    return respond(
      410,
      renderApprovalPage(
        approval,
        approver,
        undefined,
        `This approval request expired at ${approval.expiresAt}.`,
      ),
    );
  }

  const form = {
    a: String(claims.approverIndex),
    exp: String(claims.expiresAt),
    sig: fields.get('sig') ?? '',
    csrf: formToken(key, claims),
  };
  if (req.method === 'GET') {
    await ports.ledger.audit({
      approvalId,
      kind: 'viewed',
      at: now.toISOString(),
      actor: approver,
      channel: 'email',
      ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
      ...(req.userAgent ? { userAgent: req.userAgent.slice(0, 300) } : {}),
    });
    const voted =
      approval.votes && Object.hasOwn(approval.votes, approver) ? approval.votes[approver] : undefined;
    return respond(
      200,
      renderApprovalPage(
        approval,
        approver,
        voted ? undefined : form,
        voted ? `You voted: ${voted.decision} at ${voted.at}.` : undefined,
      ),
    );
  }

  if (!checkFormToken(key, claims, fields.get('csrf') ?? undefined)) {
    return refuse(403, 'Invalid form', 'This form did not come from the approval page. Open the link again.');
  }
  const decision = fields.get('decision');
  if (decision !== 'approve' && decision !== 'reject') {
    return refuse(400, 'Invalid decision', 'Choose Approve or Reject.');
  }
  const outcome = await decide(
    {
      approvalId,
      approver,
      decision,
      channel: 'email',
      comment: fields.get('comment') ?? '',
      releaseAt: fields.get('releaseAt') ?? '',
      ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
      ...(req.userAgent ? { userAgent: req.userAgent } : {}),
    },
    ports,
    approval,
  );
  if (!outcome.ok) {
    const page = outcome.approval
      ? renderApprovalPage(outcome.approval, approver, undefined, outcome.message)
      : renderMessagePage(TITLES[outcome.code], outcome.message, 'error');
    return respond(REFUSAL_STATUS[outcome.code], page);
  }
  if (outcome.outcome === 'waiting') {
    const so = approvalsSoFar(outcome.approval);
    return respond(
      200,
      renderMessagePage('Approval recorded', `${outcome.message} (${so.join(', ')})`, 'info'),
    );
  }
  return respond(
    200,
    renderMessagePage(
      outcome.outcome === 'approved' ? 'Approved' : 'Rejected',
      outcome.message,
      outcome.outcome,
    ),
  );
}
