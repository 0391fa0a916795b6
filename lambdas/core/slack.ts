/**
 * Slack: the approval message (summary + Approve/Reject buttons), request signature verification
 * (X-Slack-Signature over `v0:<timestamp>:<body>`, HMAC-SHA256, constant time, 5-minute window). The
 * channel that posts lives in lambdas/adapters/slack-webhook-channel.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SlackMessage } from './ports';

/** Where Slack's incoming webhooks and response_urls live; the only Slack destination allowed in AWS. */
export const SLACK_URL_PREFIX = 'https://hooks.slack.com/';

/** Slack's replay window. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export type SlackSignatureCheck = 'valid' | 'missing' | 'stale' | 'bad-signature';

export function slackSignature(secret: Uint8Array, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function verifySlackRequest(
  secret: Uint8Array,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  now: Date,
): SlackSignatureCheck {
  const timestamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (!timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp)) return 'stale';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_MAX_AGE_SECONDS) return 'stale';
  const expected = Buffer.from(slackSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'bad-signature';
}

export interface SlackRequestSummary {
  readonly approvalId: string;
  readonly service: string;
  readonly releaseId: string;
  readonly details: readonly string[];
  readonly approvers: readonly string[];
  readonly required: number;
  readonly expiresAt: string;
}

/**
 * The most the posted message may take, form-encoded: Slack echoes the whole message back in every button press,
 * and the approval API reads at most 16 KiB (MAX_BODY_BYTES); the rest of a press (user, team, channel,
 * response_url, the action, state) takes about 2 KiB.
 */
export const SLACK_MESSAGE_BUDGET_BYTES = 8 * 1024;
/** A detail line longer than this is cut: the approval page shows it whole. */
const MAX_DETAIL_CHARS = 300;

/** Bytes of `value` as JSON, form-encoded (how Slack sends the `payload` field back). */
export function formEncodedSize(value: unknown): number {
  return new URLSearchParams({ payload: JSON.stringify(value) }).toString().length;
}

/**
 * The request message: what is being approved, and the buttons. The buttons carry the approval id only. Detail
 * lines that do not fit SLACK_MESSAGE_BUDGET_BYTES are left to the approval page, so a long commit list never
 * makes the buttons' echo too large for the approval API.
 */
export function slackApprovalMessage(s: SlackRequestSummary): SlackMessage {
  const lines = s.details.map(
    (d) => `• ${d.length > MAX_DETAIL_CHARS ? `${d.slice(0, MAX_DETAIL_CHARS - 1)}…` : d}`,
  );
  for (let shown = lines.length; ; shown--) {
    const left = lines.length - shown;
    const text = [...lines.slice(0, shown), ...(left > 0 ? [`• … ${left} more on the approval page`] : [])]
      .join('\n')
      .slice(0, 2900);
    const message = approvalMessage(s, text);
    if (shown === 0 || formEncodedSize(message) <= SLACK_MESSAGE_BUDGET_BYTES) return message;
  }
}

function approvalMessage(s: SlackRequestSummary, details: string): SlackMessage {
  const text = `Approve ${s.service} release ${s.releaseId}?`;
  const approvers = s.approvers.join(', ');
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: text.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: details || ' ' } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Approvers: ${approvers.length > 500 ? `${approvers.slice(0, 499)}…` : approvers} · ${s.required} needed · expires ${s.expiresAt}`,
          },
        ],
      },
      {
        type: 'actions',
        block_id: 'sluice-approval',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value: s.approvalId,
          },
          {
            type: 'button',
            action_id: 'reject',
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject' },
            value: s.approvalId,
          },
        ],
      },
    ],
  };
}
