import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';

/** A JSON answer of the local runtime's CLI API (`/api/*`): never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/**
 * The string fields of a CLI API command: a POST with a JSON object body of at most MAX_BODY_BYTES. JSON only:
 * a cross-site form cannot send `application/json` without a CORS preflight, which this server never answers.
 * Otherwise answers 405, 415, 413 or 400 and returns undefined. A field that is absent or not a string reads ''.
 * `rawBody`: the request body as the web server read it, at most MAX_BODY_BYTES + 1 bytes.
 */
export function readCommand(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
): ((field: string) => string) | undefined {
  const refuse = (status: number, error: string) => {
    sendJson(res, status, { error });
    return undefined;
  };
  if (req.method !== 'POST') return refuse(405, 'use POST');
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return refuse(415, 'send the request as application/json');
  }
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) return refuse(413, 'request too large');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody) as Record<string, unknown>;
  } catch {
    return refuse(400, 'the body must be JSON');
  }
  return (field) => {
    const value = body[field];
    return typeof value === 'string' ? value : '';
  };
}

/** A command that failed: 409 with the reason when the error is the command's refusal (`refusal`), else 500. */
export function sendCommandFailure(res: ServerResponse, error: unknown, refusal: string): void {
  const failure = error as Error;
  sendJson(res, failure.name === refusal ? 409 : 500, { error: failure.message, name: failure.name });
}
