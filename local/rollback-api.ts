/**
 * The local runtime's rollback endpoint, for `sluice rollback` against a running runtime:
 * POST /api/rollback with a JSON body { service, to?, reason, as }. JSON only: a cross-site form cannot send
 * `application/json` without a CORS preflight, which this server never answers, so web pages cannot trigger it.
 * The CLI finds the runtime through `<stateDir>/runtime.json` and sends its bearer token (local/cli/runtime-client.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RollbackRequest } from '../lambdas/core/rollback';
import type { ReleaseRecord } from '../lambdas/ledger/ledger';
import { readCommand, sendCommandFailure, sendJson } from './api-response';

export const ROLLBACK_API_PATH = '/api/rollback';
export type RollbackRunner = (request: RollbackRequest) => Promise<ReleaseRecord>;

/** `rawBody`: the request body as the web server read it, at most MAX_BODY_BYTES + 1 bytes. */
export async function handleRollbackApi(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  rollback: RollbackRunner,
): Promise<void> {
  const text = readCommand(req, res, rawBody);
  if (!text) return;
  try {
    const record = await rollback({
      service: text('service'),
      ...(text('to') ? { toReleaseId: text('to') } : {}),
      reason: text('reason'),
      requestedBy: text('as'),
    });
    return sendJson(res, 200, { release: record });
  } catch (error) {
    return sendCommandFailure(res, error, 'RollbackRefusedError');
  }
}
