/**
 * The local runtime's rollback endpoint, for `sluice rollback` against a running runtime:
 * POST /api/rollback with a JSON body { service, to?, reason, as }. JSON only: a cross-site form cannot send
 * `application/json` without a CORS preflight, which this server never answers, so web pages cannot trigger it.
 * The CLI finds the runtime through `<stateDir>/runtime.json` and sends its bearer token (local/cli/runtime-client.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReleaseRecord } from '../lambdas/shared/ledger';
import type { RollbackRequest } from '../lambdas/shared/rollback';

export const ROLLBACK_API_PATH = '/api/rollback';
export type RollbackRunner = (request: RollbackRequest) => Promise<ReleaseRecord>;

const MAX_BODY = 16 * 1024;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function handleRollbackApi(
  req: IncomingMessage,
  res: ServerResponse,
  rollback: RollbackRunner,
): Promise<void> {
  if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' });
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return reply(res, 415, { error: 'send the request as application/json' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return reply(res, 413, { error: 'request too large' });
    chunks.push(chunk as Buffer);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return reply(res, 400, { error: 'the body must be JSON' });
  }
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  try {
    const record = await rollback({
      service: text('service'),
      ...(text('to') ? { toReleaseId: text('to') } : {}),
      reason: text('reason'),
      requestedBy: text('as'),
    });
    return reply(res, 200, { release: record });
  } catch (error) {
    const failure = error as Error;
    return reply(res, failure.name === 'RollbackRefusedError' ? 409 : 500, {
      error: failure.message,
      name: failure.name,
    });
  }
}
