/**
 * The local runtime's cancel endpoint, for `sluice cancel` against a running runtime: POST /api/cancel with a
 * JSON body { release, reason, as }. It cancels the release (lambdas/core/cancel.ts) with the runtime's own
 * ports and its local StopExecution, and answers at once with what stopping it took; the outcome `cancelled`
 * follows in the ledger. JSON only and behind the bearer token of runtime.json, like the retry endpoint.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CancelPorts, cancelRelease } from '../lambdas/core/cancel';
import { readCommand, sendCommandFailure, sendJson } from './api-response';

export const CANCEL_API_PATH = '/api/cancel';

/** `rawBody`: the request body as the web server read it, at most MAX_BODY_BYTES + 1 bytes. */
export async function handleCancelApi(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  ports: CancelPorts,
): Promise<void> {
  const text = readCommand(req, res, rawBody);
  if (!text) return;
  try {
    const started = await cancelRelease(
      { releaseId: text('release'), reason: text('reason'), requestedBy: text('as') },
      ports,
    );
    return sendJson(res, 200, { cancel: started });
  } catch (error) {
    return sendCommandFailure(res, error, 'CancelRefusedError');
  }
}
