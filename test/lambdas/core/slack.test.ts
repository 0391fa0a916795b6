/** Slack request signing. */
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from '../../../lambdas/core/slack';

const secret = new TextEncoder().encode('8f742231b10e8888abcd99yyyzzz85a5');
const now = new Date('2026-03-02T10:00:00Z');
const ts = String(now.getTime() / 1000);

describe('verifySlackRequest', () => {
  const body = 'payload=%7B%7D';
  const headers = (sig = slackSignature(secret, ts, body), t = ts) => ({
    'x-slack-request-timestamp': t,
    'x-slack-signature': sig,
  });
  it('accepts Slack v0 signatures over v0:timestamp:body', () => {
    expect(slackSignature(secret, ts, body)).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(verifySlackRequest(secret, headers(), body, now)).toBe('valid');
  });
  it('refuses another body, a wrong secret, and missing headers', () => {
    expect(verifySlackRequest(secret, headers(), `${body}x`, now)).toBe('bad-signature');
    expect(verifySlackRequest(new TextEncoder().encode('other'), headers(), body, now)).toBe('bad-signature');
    expect(verifySlackRequest(secret, headers('v0=short'), body, now)).toBe('bad-signature');
    expect(verifySlackRequest(secret, {}, body, now)).toBe('missing');
  });
  it('refuses timestamps more than 5 minutes off, either way', () => {
    for (const t of [Number(ts) - 301, Number(ts) + 301]) {
      expect(
        verifySlackRequest(secret, headers(slackSignature(secret, String(t), body), String(t)), body, now),
      ).toBe('stale');
    }
    const t = String(Number(ts) - 299);
    expect(verifySlackRequest(secret, headers(slackSignature(secret, t, body), t), body, now)).toBe('valid');
  });
});
