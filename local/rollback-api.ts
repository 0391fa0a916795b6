/**
 * The local runtime's rollback endpoint, for `sluice rollback` against a running runtime:
 * POST /api/rollback with a JSON body { service, to?, reason, as }. JSON only: a cross-site form cannot send
 * `application/json` without a CORS preflight, which this server never answers, so web pages cannot trigger it.
 * The CLI finds the runtime through `<stateDir>/runtime.json` and sends its bearer token (local/cli/runtime-client.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';
import type { RollbackRequest } from '../lambdas/core/rollback';
import type { ReleaseRecord } from '../lambdas/ledger/ledger';
import { sendJson } from './api-response';

export const ROLLBACK_API_PATH = '/api/rollback';
export type RollbackRunner = (request: RollbackRequest) => Promise<ReleaseRecord>;

/** `rawBody`: the request body as the web server read it, at most MAX_BODY_BYTES + 1 bytes. */
export async function handleRollbackApi(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  rollback: RollbackRunner,
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
    const record = await rollback({
      service: text('service'),
      ...(text('to') ? { toReleaseId: text('to') } : {}),
      reason: text('reason'),
      requestedBy: text('as'),
    });
    return sendJson(res, 200, { release: record });
  } catch (error) {
    const failure = error as Error;
    return sendJson(res, failure.name === 'RollbackRefusedError' ? 409 : 500, {
      error: failure.message,
      name: failure.name,
    });
  }
}
