/**
 * The local runtime's retry endpoint, for `sluice retry` against a running runtime: POST /api/retry with a JSON
 * body { release, reason, as }. It starts the release's next attempt (lambdas/core/retry.ts) with the runtime's
 * own ports and answers at once with the attempt's execution name; the attempt runs on in the runtime. JSON only
 * and behind the bearer token of runtime.json, like the rollback endpoint (local/rollback-api.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ports } from '../lambdas/core/ports';
import { executionNameOf } from '../lambdas/core/push-routing';
import { retryRelease } from '../lambdas/core/retry';
import { readCommand, sendCommandFailure, sendJson } from './api-response';

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
  const text = readCommand(req, res, rawBody);
  if (!text) return;
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
    return sendCommandFailure(res, error, 'RetryRefusedError');
  }
}
