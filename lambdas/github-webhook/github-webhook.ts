/**
 * The GitHub webhook: verifies `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the shared secret,
 * compared in constant time) before it reads anything else of the request, answers `ping`, turns a `push` into
 * a normalized push event on the Sluice event bus, and acknowledges every other event without acting on it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Ports } from '../core/ports';
import {
  DELIVERY_ID,
  type GitHubPushPayload,
  githubPushProblems,
  isIgnored,
  pushFromGitHub,
} from '../core/push-routing';

/** Lambda function URLs take at most 6 MB; GitHub's pushes stay far below this unless a push is enormous. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export type WebhookPorts = Pick<Ports, 'webhookSecret' | 'pushes'>;

export interface WebhookRequest {
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly the bytes GitHub signed. */
  readonly body: Uint8Array;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface WebhookOptions {
  /** @default DEFAULT_MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** One line per request outcome. @default - none */
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
}

function reply(statusCode: number, body: Record<string, unknown>): WebhookResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** `sha256=<64 hex>` of HMAC-SHA256(secret, body). */
export function signatureOf(secret: Uint8Array | string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of an `X-Hub-Signature-256` value against the body. */
export function verifySignature(secret: Uint8Array, body: Uint8Array, received: string | undefined): boolean {
  if (!received || !/^sha256=[0-9a-f]{64}$/i.test(received)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(received.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function handleGitHubWebhook(
  request: WebhookRequest,
  ports: WebhookPorts,
  options: WebhookOptions = {},
): Promise<WebhookResponse> {
  const log = options.log ?? (() => undefined);
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (request.body.byteLength > max) {
    log('webhook refused: body too large', { bytes: request.body.byteLength, max });
    return reply(413, { message: `body of ${request.body.byteLength} bytes exceeds the ${max}-byte limit` });
  }
  const secret = await ports.webhookSecret.signingKey();
  if (!verifySignature(secret, request.body, header(request.headers, 'x-hub-signature-256'))) {
    log('webhook refused: missing or invalid signature', {});
    return reply(401, { message: 'missing or invalid X-Hub-Signature-256' });
  }
  // Signed by the holder of the secret: only now are the headers and body read.
  const event = header(request.headers, 'x-github-event') ?? '';
  const delivery = header(request.headers, 'x-github-delivery') ?? '';
  if (event === 'ping') {
    log('webhook ping', { delivery });
    return reply(200, { message: 'pong' });
  }
  if (event !== 'push') {
    log('webhook event ignored', { event, delivery });
    return reply(202, { message: `event ${JSON.stringify(event)} ignored: only push starts releases` });
  }
  let payload: GitHubPushPayload;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(request.body).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    payload = parsed as GitHubPushPayload;
  } catch {
    log('webhook refused: malformed JSON', { delivery });
    return reply(400, {
      message: 'body is not a JSON object; set the webhook content type to application/json',
    });
  }
  const problems = githubPushProblems(payload as Record<string, unknown>);
  if (problems.length > 0) {
    log('webhook refused: badly typed push payload', { delivery, problems });
    return reply(400, { message: `push payload: ${problems.join('; ')}` });
  }
  const push = pushFromGitHub(payload);
  if (isIgnored(push)) {
    log('webhook push ignored', { delivery, reason: push.ignored });
    return reply(202, { message: push.ignored });
  }
  // The delivery id goes with the push into the release's ledger record (a replay can be traced to it).
  await ports.pushes.publish(DELIVERY_ID.test(delivery) ? { ...push, delivery } : push);
  log('webhook push accepted', {
    delivery,
    repository: push.repository,
    branch: push.branch,
    after: push.after,
  });
  return reply(202, {
    message: 'push accepted',
    repository: push.repository,
    branch: push.branch,
    after: push.after,
  });
}
