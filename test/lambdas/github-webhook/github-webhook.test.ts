import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePushPublisher } from '../../../lambdas/adapters/aws/eventbridge-push-publisher';
import { defined } from '../../../lambdas/core/defined';
import { type PushEvent, releaseRequestOf } from '../../../lambdas/core/push-routing';
import {
  handleGitHubWebhook,
  signatureOf,
  verifySignature,
  type WebhookPorts,
} from '../../../lambdas/github-webhook/github-webhook';
import { service } from '../../lib/fixtures';

const SECRET = 'a webhook secret';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function ports(): WebhookPorts & { published: PushEvent[] } {
  const published: PushEvent[] = [];
  return {
    published,
    webhookSecret: { signingKey: async () => new TextEncoder().encode(SECRET) },
    pushes: { publish: async (p) => void published.push(p) },
  };
}

/** `signature: null` sends no X-Hub-Signature-256 header. */
function request(event: string, body: string, signature: string | null = signatureOf(SECRET, body)) {
  return {
    headers: {
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': 'd-1',
      ...(signature !== null ? { 'X-Hub-Signature-256': signature } : {}),
    },
    body: new TextEncoder().encode(body),
  };
}

const pushBody = JSON.stringify({
  ref: 'refs/heads/main',
  before: A,
  after: B,
  repository: { full_name: 'acme/greeter' },
  pusher: { name: 'octocat' },
  commits: [{ modified: ['src/handler.ts'] }],
});

describe('X-Hub-Signature-256', () => {
  it("matches GitHub's documented test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(signatureOf("It's a Secret to Everybody", 'Hello, World!')).toBe(expected);
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(verifySignature(enc("It's a Secret to Everybody"), enc('Hello, World!'), expected)).toBe(true);
    expect(verifySignature(enc("It's a Secret to Everybody"), enc('Hello, World?'), expected)).toBe(false);
    expect(verifySignature(enc('another secret'), enc('Hello, World!'), expected)).toBe(false);
    expect(
      verifySignature(enc("It's a Secret to Everybody"), enc('Hello, World!'), expected.slice(0, -2)),
    ).toBe(false);
    expect(
      verifySignature(enc("It's a Secret to Everybody"), enc('Hello, World!'), `sha1=${'0'.repeat(40)}`),
    ).toBe(false);
  });
});

describe('handleGitHubWebhook', () => {
  it('accepts a signed push and publishes the normalized event (202)', async () => {
    const p = ports();
    const res = await handleGitHubWebhook(request('push', pushBody), p);
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({
      message: 'push accepted',
      repository: 'acme/greeter',
      after: B,
    });
    expect(p.published).toEqual([
      {
        source: 'github',
        repository: 'acme/greeter',
        branch: 'main',
        before: A,
        after: B,
        changedPaths: ['src/handler.ts'],
        pusher: 'octocat',
        pusherIdentities: ['octocat'],
        delivery: 'd-1',
      },
    ]);
  });

  it('keeps every name GitHub gives the pusher (login, email, sender) for no-self-approval', async () => {
    const p = ports();
    const body = JSON.stringify({
      ...JSON.parse(pushBody),
      pusher: { name: 'octocat', email: 'octocat@users.noreply.github.com' },
      sender: { login: 'octo-bot' },
    });
    expect((await handleGitHubWebhook(request('push', body), p)).statusCode).toBe(202);
    expect(p.published[0]).toMatchObject({
      pusher: 'octocat',
      pusherIdentities: ['octocat', 'octocat@users.noreply.github.com', 'octo-bot'],
    });
    expect(
      releaseRequestOf(service('greeter'), defined(p.published[0], 'the published push')).trigger,
    ).toEqual({
      source: 'github',
      actor: 'octocat',
      actorIdentities: ['octocat', 'octocat@users.noreply.github.com', 'octo-bot'],
      delivery: 'd-1',
    });
  });

  it('refuses a tampered body, a wrong secret and a missing header with 401, publishing nothing', async () => {
    const p = ports();
    const tampered = {
      ...request('push', pushBody),
      body: new TextEncoder().encode(pushBody.replace('main', 'prod')),
    };
    expect((await handleGitHubWebhook(tampered, p)).statusCode).toBe(401);
    expect(
      (await handleGitHubWebhook(request('push', pushBody, signatureOf('wrong', pushBody)), p)).statusCode,
    ).toBe(401);
    expect((await handleGitHubWebhook(request('push', pushBody, null), p)).statusCode).toBe(401);
    expect((await handleGitHubWebhook(request('push', pushBody, 'sha256=zz'), p)).statusCode).toBe(401);
    expect(p.published).toEqual([]);
  });

  it('checks the signature before reading the body: an unsigned malformed body is 401, not 400', async () => {
    const res = await handleGitHubWebhook(request('push', '{not json', null), ports());
    expect(res.statusCode).toBe(401);
  });

  it('answers ping with 200', async () => {
    const res = await handleGitHubWebhook(
      request('ping', JSON.stringify({ zen: 'Keep it logically awesome.' })),
      ports(),
    );
    expect(res).toMatchObject({ statusCode: 200, body: JSON.stringify({ message: 'pong' }) });
  });

  it('acknowledges another event with 202 and a log line, starting nothing', async () => {
    const p = ports();
    const lines: string[] = [];
    const res = await handleGitHubWebhook(request('issues', JSON.stringify({ action: 'opened' })), p, {
      log: (m, d) => lines.push(`${m} ${JSON.stringify(d)}`),
    });
    expect(res.statusCode).toBe(202);
    expect(res.body).toContain('only push starts releases');
    expect(lines).toEqual(['webhook event ignored {"event":"issues","delivery":"d-1"}']);
    expect(p.published).toEqual([]);
  });

  it('refuses an oversize body with 413 and a malformed one with 400', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2048) });
    expect(
      (await handleGitHubWebhook(request('push', big), ports(), { maxBodyBytes: 1024 })).statusCode,
    ).toBe(413);
    const sixMb = 'x'.repeat(6 * 1024 * 1024);
    expect((await handleGitHubWebhook(request('push', sixMb), ports())).statusCode).toBe(413);
    expect((await handleGitHubWebhook(request('push', '{"ref": '), ports())).statusCode).toBe(400);
    expect((await handleGitHubWebhook(request('push', '[1,2]'), ports())).statusCode).toBe(400);
  });

  it.each([
    [{ ref: 123 }, 'ref must be a string; received number 123'],
    [{ commits: [null] }, 'commits[0] must be an object; received null'],
    [{ commits: 'abc' }, 'commits must be an array; received string "abc"'],
    [{ commits: [{ modified: 'src/a.ts' }] }, 'commits[0].modified must be an array of strings'],
    [{ repository: 'acme/greeter' }, 'repository must be an object; received string "acme/greeter"'],
    [{ pusher: { name: 7 } }, 'pusher.name must be a string; received number 7'],
    [{ forced: 'yes' }, 'forced must be a boolean'],
  ])(
    'refuses a validly signed but badly typed payload %j with 400, publishing nothing',
    async (change, message) => {
      const p = ports();
      const body = JSON.stringify({ ...JSON.parse(pushBody), ...change });
      const res = await handleGitHubWebhook(request('push', body), p);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).message).toContain(`push payload: ${message}`);
      expect(p.published).toEqual([]);
    },
  );

  it('acknowledges a tag push or a deleted branch without publishing', async () => {
    const p = ports();
    const tag = JSON.stringify({ ref: 'refs/tags/v1', after: B, repository: { full_name: 'acme/greeter' } });
    expect((await handleGitHubWebhook(request('push', tag), p)).statusCode).toBe(202);
    const deleted = JSON.stringify({
      ref: 'refs/heads/x',
      deleted: true,
      after: '0'.repeat(40),
      repository: { full_name: 'acme/greeter' },
    });
    expect((await handleGitHubWebhook(request('push', deleted), p)).statusCode).toBe(202);
    expect(p.published).toEqual([]);
  });
});

describe('the github-webhook Lambda handler (Secrets Manager + EventBridge)', () => {
  const sm = mockClient(SecretsManagerClient);
  const eb = mockClient(EventBridgeClient);
  process.env.SLUICE_WEBHOOK_SECRET_ARN =
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
  process.env.SLUICE_EVENT_BUS_NAME = 'SluicePipeline-events';
  beforeEach(() => {
    sm.reset();
    eb.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });
  afterAll(() => {
    sm.restore();
    eb.restore();
  });

  const urlEvent = (body: string, headers: Record<string, string>, base64 = false) =>
    ({
      headers,
      body: base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: base64,
      rawPath: '/',
      requestContext: { http: { method: 'POST' } },
    }) as unknown as LambdaFunctionURLEvent;

  it('verifies against the secret and puts exactly one event on the bus', async () => {
    const { handler } = await import('../../../lambdas/github-webhook/handler');
    const headers = { 'x-github-event': 'push', 'x-hub-signature-256': signatureOf(SECRET, pushBody) };
    const res = await handler(urlEvent(pushBody, headers, true), {} as Context);
    expect(res).toMatchObject({ statusCode: 202 });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: process.env.SLUICE_WEBHOOK_SECRET_ARN,
    });
    const entries = eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'SluicePipeline-events',
      Source: 'sluice.github',
      DetailType: 'Sluice Push',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({ repository: 'acme/greeter', after: B });
    const bad = await handler(
      urlEvent(pushBody, { ...headers, 'x-hub-signature-256': signatureOf('x', pushBody) }),
      {} as Context,
    );
    expect(bad).toMatchObject({ statusCode: 401 });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('fails when EventBridge refuses the entry, so GitHub records a failed delivery', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
    });
    const publisher = new EventBridgePushPublisher(new EventBridgeClient({}), 'bus');
    await expect(
      publisher.publish({ source: 'github', repository: 'acme/greeter', branch: 'main', after: B }),
    ).rejects.toMatchObject({ name: 'TransientError', message: expect.stringContaining('InternalFailure') });
  });
});
