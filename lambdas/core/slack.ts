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

/** The request message: what is being approved, and the buttons. The buttons carry the approval id only. */
export function slackApprovalMessage(s: SlackRequestSummary): SlackMessage {
  const text = `Approve ${s.service} release ${s.releaseId}?`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: text.slice(0, 150) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: s.details
            .map((d) => `• ${d}`)
            .join('\n')
            .slice(0, 2900),
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Approvers: ${s.approvers.join(', ')} · ${s.required} needed · expires ${s.expiresAt}`,
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
