/**
 * Slack button presses (`POST /slack/interactions`): accepted only with a valid X-Slack-Signature inside the
 * 5-minute window; the Slack user is mapped to an approver through the catalog; the decision goes through the
 * same policy as the page; the original message is updated with the outcome.
 */
import { decide } from '../core/approval-decision';
import { verifySlackRequest } from '../core/slack';
import type { ApprovalApiPorts, ApprovalHttpRequest, ApprovalHttpResponse } from './http';

interface SlackAction {
  readonly action_id?: unknown;
  readonly value?: unknown;
}

interface SlackInteraction {
  readonly type?: unknown;
  readonly user?: { readonly id?: unknown };
  readonly actions?: readonly SlackAction[];
  readonly response_url?: unknown;
}

const json = (statusCode: number, text: string): ApprovalHttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ response_type: 'ephemeral', text }),
});

function parsePayload(body: string): SlackInteraction | undefined {
  try {
    const payload = new URLSearchParams(body).get('payload');
    const parsed: unknown = payload ? JSON.parse(payload) : undefined;
    return typeof parsed === 'object' && parsed !== null ? (parsed as SlackInteraction) : undefined;
  } catch {
    return undefined;
  }
}

export async function handleSlackInteraction(
  req: ApprovalHttpRequest,
  ports: ApprovalApiPorts,
): Promise<ApprovalHttpResponse> {
  if (req.method !== 'POST') return json(405, 'Slack interactions are POSTed.');
  const check = verifySlackRequest(
    await ports.slack.signingSecret(),
    req.headers ?? {},
    req.body,
    ports.clock.now(),
  );
  if (check === 'missing')
    return json(401, 'Missing Slack signature headers; this endpoint only takes requests from Slack.');
  if (check === 'stale')
    return json(401, 'Stale Slack request: the timestamp is more than 5 minutes off; nothing changed.');
  if (check === 'bad-signature') return json(401, 'Invalid Slack signature; nothing changed.');

  const payload = parsePayload(req.body);
  const action = payload?.actions?.[0];
  const userId = payload?.user?.id;
  if (
    payload?.type !== 'block_actions' ||
    typeof userId !== 'string' ||
    !action ||
    (action.action_id !== 'approve' && action.action_id !== 'reject') ||
    typeof action.value !== 'string' ||
    !/^[A-Za-z0-9_-]{10,64}$/.test(action.value)
  ) {
    return json(
      400,
      'Malformed Slack interaction: expected an Approve or Reject button press; nothing changed.',
    );
  }
  const approval = await ports.ledger.getApproval(action.value);
  if (!approval) return json(404, 'There is no approval request with this id; nothing changed.');
  // Own properties only: a user id such as `constructor` must not find Object.prototype's.
  const slackUsers = approval.slackUsers ?? {};
  const approver = Object.hasOwn(slackUsers, userId) ? slackUsers[userId] : undefined;
  if (!approver) {
    return json(
      403,
      `Your Slack user (${userId}) is not mapped to an approver of ${approval.service} (catalog approval.slackUserIds); nothing changed.`,
    );
  }
  const outcome = await decide(
    { approvalId: approval.approvalId, approver, decision: action.action_id, channel: 'slack' },
    ports,
    approval,
  );
  const text = outcome.ok ? outcome.message : `Refused: ${outcome.message}`;
  // Update the request message for everyone once the approval is closed; refusals stay ephemeral.
  if (outcome.ok && typeof payload.response_url === 'string') {
    const headline =
      outcome.outcome === 'waiting'
        ? `${approval.service} ${approval.releaseId}: ${text}`
        : `${approval.service} ${approval.releaseId} — ${outcome.outcome.toUpperCase()}. ${text}`;
    await ports.slack
      .respond(payload.response_url, { replace_original: outcome.outcome !== 'waiting', text: headline })
      .catch(() => undefined);
  }
  return json(outcome.ok ? 200 : 409, text);
}
