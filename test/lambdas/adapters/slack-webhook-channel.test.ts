/** The Slack webhook channel, against a real receiver on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSlackChannel } from '../../../lambdas/adapters/slack-webhook-channel';
import { slackApprovalMessage } from '../../../lambdas/core/slack';

const secret = new TextEncoder().encode('8f742231b10e8888abcd99yyyzzz85a5');

describe('WebhookSlackChannel', () => {
  let server: Server;
  let url = '';
  const received: { path: string; body: unknown }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(data) });
        res.writeHead(req.url === '/fail' ? 500 : 200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const channel = (webhook: string | undefined) =>
    new WebhookSlackChannel({
      webhookUrl: async () => webhook,
      signingSecret: async () => secret,
      allowedUrlPrefixes: ['http://127.0.0.1:'],
    });

  it('posts the request with Approve/Reject buttons carrying only the approval id', async () => {
    const message = slackApprovalMessage({
      approvalId: 'appr-0123456789',
      service: 'greeter',
      releaseId: 'greeter-abc',
      details: ['Commit: abc by Dana'],
      approvers: ['alice@example.com'],
      required: 1,
      expiresAt: '2026-03-05T10:00:00.000Z',
    });
    expect(await channel(`${url}/hook`).post(message)).toBe(true);
    const posted = received.at(-1)?.body as {
      text: string;
      blocks: { type: string; elements?: unknown[] }[];
    };
    expect(posted.text).toBe('Approve greeter release greeter-abc?');
    const actions = posted.blocks.find((b) => b.type === 'actions');
    expect(actions?.elements).toMatchObject([
      { action_id: 'approve', value: 'appr-0123456789' },
      { action_id: 'reject', value: 'appr-0123456789' },
    ]);
  });

  it('posts nothing without a webhook, refuses other hosts, and reports a failing receiver', async () => {
    expect(await channel(undefined).post({ text: 'x' })).toBe(false);
    await expect(channel('https://example.com/hook').post({ text: 'x' })).rejects.toThrow(
      /Refusing to send a Slack message to https:\/\/example.com/,
    );
    await expect(channel(undefined).respond(`${url}/fail`, { text: 'x' })).rejects.toThrow(
      /Slack answered 500/,
    );
  });
});
