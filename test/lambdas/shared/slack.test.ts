/** Slack signing and the webhook channel, against a real receiver on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  slackApprovalMessage,
  slackSignature,
  verifySlackRequest,
  WebhookSlackChannel,
} from '../../../lambdas/shared/slack';
import { signAsSlack } from '../../support/slack';

const enc = (text: string) => new TextEncoder().encode(text);

/** The example request on Slack's "Verifying requests from Slack" page: its secret, timestamp, body and signature. */
const SLACK_EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const secret = enc('a-signing-secret-for-these-tests');
const now = new Date('2026-03-02T10:00:00Z');
const ts = String(now.getTime() / 1000);

describe('verifySlackRequest', () => {
  const body = 'payload=%7B%7D';
  const headers = (sig = signAsSlack(secret, ts, body), t = ts) => ({
    'x-slack-request-timestamp': t,
    'x-slack-signature': sig,
  });
  it("verifies Slack's documented example request, and signs it the same way", () => {
    const { timestamp, signature } = SLACK_EXAMPLE;
    const exampleHeaders = { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
    // Received a minute after it was sent.
    const received = new Date((Number(timestamp) + 60) * 1000);
    const key = enc(SLACK_EXAMPLE.secret);
    expect(verifySlackRequest(key, exampleHeaders, SLACK_EXAMPLE.body, received)).toBe('valid');
    expect(slackSignature(key, timestamp, SLACK_EXAMPLE.body)).toBe(signature);
    expect(
      verifySlackRequest(key, exampleHeaders, SLACK_EXAMPLE.body.replace('foobar', 'foobaz'), received),
    ).toBe('bad-signature');
    expect(
      verifySlackRequest(
        enc('8f742231b10e8888abcd99yyyzzz85a6'),
        exampleHeaders,
        SLACK_EXAMPLE.body,
        received,
      ),
    ).toBe('bad-signature');
  });
  it('accepts Slack v0 signatures over v0:timestamp:body', () => {
    expect(verifySlackRequest(secret, headers(), body, now)).toBe('valid');
  });
  it('refuses another body, a wrong secret, and missing headers', () => {
    expect(verifySlackRequest(secret, headers(), `${body}x`, now)).toBe('bad-signature');
    expect(verifySlackRequest(enc('other'), headers(), body, now)).toBe('bad-signature');
    expect(verifySlackRequest(secret, headers('v0=short'), body, now)).toBe('bad-signature');
    expect(verifySlackRequest(secret, {}, body, now)).toBe('missing');
  });
  it('refuses timestamps more than 5 minutes off, either way', () => {
    for (const t of [Number(ts) - 301, Number(ts) + 301]) {
      expect(
        verifySlackRequest(secret, headers(signAsSlack(secret, String(t), body), String(t)), body, now),
      ).toBe('stale');
    }
    const t = String(Number(ts) - 299);
    expect(verifySlackRequest(secret, headers(signAsSlack(secret, t, body), t), body, now)).toBe('valid');
  });
});

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
