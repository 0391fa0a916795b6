/**
 * The local runtime's retry endpoint, for `sluice retry` against a running runtime: POST /api/retry with a JSON
 * body { release, reason, as }. It starts the release's next attempt (lambdas/core/retry.ts) with the runtime's
 * own ports and answers at once with the attempt's execution name; the attempt runs on in the runtime. JSON only
 * and behind the bearer token of runtime.json, like the rollback endpoint (local/rollback-api.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';
import type { Ports } from '../lambdas/core/ports';
import { executionNameOf } from '../lambdas/core/push-routing';
import { retryRelease } from '../lambdas/core/retry';
import { sendJson } from './api-response';

export const RETRY_API_PATH = '/api/retry';
/** What a retry needs of the runtime: its ledger, and StartExecution. */
export type RetryPorts = Pick<Ports, 'ledger' | 'executions'>;

/** What the endpoint answers when the next attempt has started. */
export interface RetryStarted {
  readonly releaseId: string;
  readonly service: string;
  readonly attempt: number;
  /** The attempt's execution name (executionNameOf). */
  readonly execution: string;
}

/** `rawBody`: the request body as the web server read it, at most MAX_BODY_BYTES + 1 bytes. */
export async function handleRetryApi(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  ports: RetryPorts,
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return sendJson(res, 415, { error: 'send the request as application/json' });
  }
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) return sendJson(res, 413, { error: 'request too large' });
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody) as Record<string, unknown>;
  } catch {
    return sendJson(res, 400, { error: 'the body must be JSON' });
  }
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  try {
    const next = await retryRelease(
      { releaseId: text('release'), reason: text('reason'), requestedBy: text('as') },
      ports,
    );
    const attempt = next.attempt ?? 2;
    const started: RetryStarted = {
      releaseId: next.releaseId,
      service: next.service,
      attempt,
      execution: executionNameOf(next.releaseId, attempt),
    };
    return sendJson(res, 200, { retry: started });
  } catch (error) {
    const failure = error as Error;
    return sendJson(res, failure.name === 'RetryRefusedError' ? 409 : 500, {
      error: failure.message,
      name: failure.name,
    });
  }
}
