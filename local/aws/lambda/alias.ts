/**
 * The local `live` alias: one HTTP server per function that sends each request to the alias's version or, while
 * CodeDeploy shifts traffic, to the additional version by weight, and reports every request's outcome.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchItemFailureCount } from '../../../lambdas/core/smoke-check';
import { httpCall, NoAnswerError } from './http-call';
import { DURATION_HEADER, INVOCATION_ERROR_HEADER, INVOKE_PATH, VERSION_HEADER } from './protocol';

/** The failed items a partial batch response in an Invoke answer lists (0 when it is not one). */
function failedItemsOf(body: Buffer): number {
  try {
    return batchItemFailureCount(JSON.parse(body.toString('utf8')));
  } catch {
    return 0;
  }
}

/** One request the alias forwarded to a version. */
export interface RequestSample {
  /** Epoch ms when the answer came back. */
  readonly at: number;
  /** Epoch ms when the request went to the version. */
  readonly startedAt: number;
  readonly version: string;
  readonly status: number;
  readonly latencyMs: number;
  /** The version ran the request (false: its process was not running, so Lambda never invoked it). */
  readonly invoked: boolean;
  /** Lambda's function error: the handler threw, or the version crashed or timed out without answering. */
  readonly functionError: boolean;
  /** The handler's own run time, as the version reported it (the request's latency when it did not). */
  readonly durationMs: number;
  /** An invocation error, a 5xx, failed batch items, or no answer at all. */
  readonly failed: boolean;
  /** What went wrong, when the version did not answer, the handler threw or reported failed batch items. */
  readonly error?: string;
}

export interface AliasOptions {
  readonly service: string;
  /** The port of a running version, or undefined when its process is not running. */
  readonly portOf: (version: string) => number | undefined;
  /** @default 5000 */
  readonly requestTimeoutMs?: number;
}

export interface AliasWeights {
  readonly live?: string;
  /** The version receiving `percent`% of requests during a deployment. */
  readonly target?: { readonly version: string; readonly percent: number };
}

export interface VersionCounts {
  readonly requests: number;
  readonly failed: number;
}

export class LocalAlias {
  private weights: AliasWeights = {};
  /** Deterministic interleave: exactly `percent` of every 100 requests go to the target, evenly spread. */
  private credit = 0;
  private readonly counts = new Map<string, { requests: number; failed: number }>();
  private readonly listeners = new Set<(sample: RequestSample) => void>();
  private readonly inFlight = new Map<string, number>();

  private constructor(
    private readonly options: AliasOptions,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: AliasOptions): Promise<LocalAlias> {
    let alias: LocalAlias | undefined;
    const server = createServer((req, res) => {
      alias?.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    alias = new LocalAlias(options, server, (server.address() as AddressInfo).port);
    return alias;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get current(): AliasWeights {
    return this.weights;
  }

  /** Moves traffic; takes effect for the next request. */
  route(weights: AliasWeights): void {
    const target =
      weights.target && weights.target.percent > 0 && weights.target.percent < 100
        ? weights.target
        : undefined;
    const live = weights.target && weights.target.percent >= 100 ? weights.target.version : weights.live;
    this.weights = { ...(live ? { live } : {}), ...(target ? { target } : {}) };
    this.credit = 0;
  }

  /** Requests and failures per version since the alias started. */
  countsOf(version: string): VersionCounts {
    return { ...(this.counts.get(version) ?? { requests: 0, failed: 0 }) };
  }

  onSample(listener: (sample: RequestSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private pick(): string | undefined {
    const { live, target } = this.weights;
    if (!target) return live;
    this.credit += target.percent;
    if (this.credit >= 100 || !live) {
      this.credit -= 100;
      return target.version;
    }
    return live;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const version = this.pick();
    if (!version) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `${this.options.service} has no live version yet` }));
      return;
    }
    this.inFlight.set(version, (this.inFlight.get(version) ?? 0) + 1);
    try {
      this.record(await this.forward(version, req, res, Buffer.concat(chunks)));
    } finally {
      this.inFlight.set(version, (this.inFlight.get(version) ?? 1) - 1);
    }
  }

  private async forward(
    version: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): Promise<RequestSample> {
    const port = this.options.portOf(version);
    const startedAt = Date.now();
    let sample: RequestSample;
    if (port === undefined) {
      sample = {
        at: Date.now(),
        startedAt,
        version,
        status: 502,
        latencyMs: 0,
        invoked: false,
        functionError: false,
        durationMs: 0,
        failed: true,
        error: `version ${version} is not running`,
      };
      res.writeHead(502, { 'content-type': 'application/json', [VERSION_HEADER]: version });
      res.end(JSON.stringify({ message: sample.error }));
    } else {
      try {
        const answer = await httpCall({
          port,
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body,
          timeoutMs: this.options.requestTimeoutMs ?? 5000,
        });
        const invocationError = answer.headers[INVOCATION_ERROR_HEADER];
        const reported = Number(answer.headers[DURATION_HEADER]);
        // An event invocation that returned a partial batch response with failed items failed in part.
        const failedItems =
          invocationError === undefined && INVOKE_PATH.test(req.url ?? '') ? failedItemsOf(answer.body) : 0;
        sample = {
          at: Date.now(),
          startedAt,
          version,
          status: answer.status,
          latencyMs: answer.latencyMs,
          invoked: true,
          functionError: invocationError !== undefined,
          durationMs: Number.isFinite(reported) ? reported : answer.latencyMs,
          failed: answer.status >= 500 || invocationError !== undefined || failedItems > 0,
          ...(typeof invocationError === 'string' ? { error: decodeURIComponent(invocationError) } : {}),
          ...(failedItems > 0 ? { error: `reported ${failedItems} failed batch item(s)` } : {}),
        };
        const headers = { ...answer.headers };
        delete headers[INVOCATION_ERROR_HEADER];
        delete headers[DURATION_HEADER];
        delete headers['transfer-encoding'];
        delete headers.connection;
        res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
        res.end(answer.body);
      } catch (error) {
        const noAnswer = error instanceof NoAnswerError ? error : undefined;
        const status = noAnswer?.timedOut ? 504 : 502;
        sample = {
          at: Date.now(),
          startedAt,
          version,
          status,
          latencyMs: noAnswer?.latencyMs ?? 0,
          // A version that crashed or timed out mid-request: a function error (Lambda counts timeouts too).
          invoked: true,
          functionError: true,
          durationMs: noAnswer?.latencyMs ?? 0,
          failed: true,
          error: `version ${version}: ${(error as Error).message}`,
        };
        res.writeHead(status, { 'content-type': 'application/json', [VERSION_HEADER]: version });
        res.end(JSON.stringify({ message: sample.error }));
      }
    }
    return sample;
  }

  private record(sample: RequestSample): void {
    const counts = this.counts.get(sample.version) ?? { requests: 0, failed: 0 };
    counts.requests++;
    if (sample.failed) counts.failed++;
    this.counts.set(sample.version, counts);
    for (const listener of this.listeners) listener(sample);
  }

  /** Resolves once no request to `version` is waiting for its answer, or after `timeoutMs`. */
  async idle(version: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.inFlight.get(version) ?? 0) > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
