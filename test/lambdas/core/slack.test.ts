/** Slack request signing. */
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from '../../../lambdas/core/slack';
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
