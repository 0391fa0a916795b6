import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpCall {
  readonly port: number;
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: Uint8Array | string;
  readonly timeoutMs: number;
  /**
   * Keeps the connection for the next call (keep-alive), for a caller that owns both the agent and the server's
   * lifetime. @default - a connection of its own, closed after the answer
   */
  readonly agent?: Agent;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly latencyMs: number;
}

/** The call got no answer: refused, reset, or timed out. */
export class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
  constructor(
    message: string,
    readonly latencyMs: number,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/** Headers that describe one hop's connection, not the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

export function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  return out;
}

/**
 * One HTTP request to 127.0.0.1:port with a hard deadline. No keep-alive unless the caller gives an agent: a
 * version process may be stopped at any moment, and a pooled socket to it would fail the next request for the
 * wrong reason.
 */
export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const req = request(
      {
        host: '127.0.0.1',
        port: call.port,
        method: call.method,
        path: call.path,
        headers: { ...endToEndHeaders(call.headers ?? {}), ...(call.agent ? {} : { connection: 'close' }) },
        agent: call.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          finish(() =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              latencyMs: elapsed(),
            }),
          ),
        );
        res.on('error', (error) => finish(() => reject(new NoAnswerError(error.message, elapsed(), false))));
      },
    );
    const timer = setTimeout(() => {
      finish(() => reject(new NoAnswerError(`no answer within ${call.timeoutMs} ms`, elapsed(), true)));
      req.destroy();
    }, call.timeoutMs);
    req.on('error', (error) => finish(() => reject(new NoAnswerError(error.message, elapsed(), false))));
    req.end(call.body);
  });
}
