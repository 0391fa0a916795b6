import { checkFormToken, checkLink, formToken, type LinkClaims } from '../shared/approval-links';
import { type ApprovalRecord, LedgerConflictError } from '../shared/ledger';
import type { ApprovalResult } from '../shared/model';
import type { Ports } from '../shared/wiring';
import { renderApprovalPage, renderMessagePage } from './approval-page';

export type ApprovalApiPorts = Pick<Ports, 'ledger' | 'tasks' | 'signingKeys' | 'clock'>;

export interface ApprovalHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

export interface ApprovalHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

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

const respond = (statusCode: number, body: string): ApprovalHttpResponse => ({
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

function isExpired(approval: ApprovalRecord, now: Date): boolean {
  return approval.status === 'pending' && new Date(approval.expiresAt).getTime() <= now.getTime();
}

/** GET shows the release and a form; POST (from that form) decides once. Every refusal changes nothing. */
export async function handleApprovalHttp(
  req: ApprovalHttpRequest,
  ports: ApprovalApiPorts,
): Promise<ApprovalHttpResponse> {
  const match = /^\/approvals\/([A-Za-z0-9_-]{10,64})$/.exec(req.path);
  if (!match) return refuse(404, 'Not found', 'There is no page here.');
  if (req.method !== 'GET' && req.method !== 'POST')
    return refuse(405, 'Method not allowed', `${req.method} is not allowed.`);
  if (Buffer.byteLength(req.body) > MAX_BODY_BYTES)
    return refuse(413, 'Too large', 'The request body is too large.');

  const approvalId = match[1];
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
  if (linkCheck === 'expired' || isExpired(approval, now)) {
    return respond(
      410,
      renderMessagePage('Link expired', `This approval request expired at ${approval.expiresAt}.`, 'error'),
    );
  }

  const form = {
    a: String(claims.approverIndex),
    exp: String(claims.expiresAt),
    sig: fields.get('sig') ?? '',
    csrf: formToken(key, claims),
  };
  if (req.method === 'GET') return respond(200, renderApprovalPage(approval, approver, form));

  if (!checkFormToken(key, claims, fields.get('csrf') ?? undefined)) {
    return refuse(403, 'Invalid form', 'This form did not come from the approval page. Open the link again.');
  }
  const decision = fields.get('decision');
  if (decision !== 'approve' && decision !== 'reject') {
    return refuse(400, 'Invalid decision', 'Choose Approve or Reject.');
  }
  const comment = (fields.get('comment') ?? '').trim().slice(0, 1000);
  if (approval.status !== 'pending') {
    return respond(
      409,
      renderApprovalPage(approval, approver, undefined, 'This request was already decided; nothing changed.'),
    );
  }
  const result: ApprovalResult = {
    approvalId,
    decision: decision === 'approve' ? 'approved' : 'rejected',
    decidedBy: approver,
    decidedAt: now.toISOString(),
    ...(comment ? { comment } : {}),
  };
  try {
    await ports.ledger.decideApproval(approvalId, {
      status: result.decision,
      decidedBy: approver,
      decidedAt: result.decidedAt,
      comment,
    });
  } catch (error) {
    if (error instanceof LedgerConflictError) {
      const current = (await ports.ledger.getApproval(approvalId)) ?? approval;
      return respond(
        409,
        renderApprovalPage(
          current,
          approver,
          undefined,
          'This request was already decided; nothing changed.',
        ),
      );
    }
    throw error;
  }
  await ports.tasks.succeed(approval.taskToken, result);
  const verb = result.decision === 'approved' ? 'Approved' : 'Rejected';
  return respond(
    200,
    renderMessagePage(
      verb,
      `${verb} by ${approver}. ${result.decision === 'approved' ? 'The release continues to production.' : 'The release is stopped.'}`,
      result.decision,
    ),
  );
}
