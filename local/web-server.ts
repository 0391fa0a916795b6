/**
 * The local web server on 127.0.0.1: the approval pages (served by the same approval-api handler module
 * as the Lambda function URL), the status page (`/`) and its data as JSON (`/api/status`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';
import type { CancelPorts } from '../lambdas/core/cancel';
import type { Catalog } from '../lambdas/core/catalog/types';
import { parseDuration } from '../lambdas/core/dora';
import type { Ports } from '../lambdas/core/ports';
import { DEFAULT_MAX_BODY_BYTES } from '../lambdas/github-webhook/github-webhook';
import type { Ledger } from '../lambdas/ledger/ledger';
import { sendJson } from './api-response';
import { authorizedApiCall, handleApprovalsApi } from './approval-runtime';
import { functionUrlEvent } from './aws/lambda/function-url-event';
import { CANCEL_API_PATH, handleCancelApi } from './cancel-api';
import type { HandlerInvoker } from './handlers';
import { handleRetryApi, RETRY_API_PATH, type RetryPorts } from './retry-api';
import { handleRollbackApi, ROLLBACK_API_PATH, type RollbackRunner } from './rollback-api';
import { renderStatusPage } from './status/page';
import { collectStatus, type StatusReport } from './status/status';

export interface LocalWebServerOptions {
  readonly port: number;
  readonly ledger: Ledger;
  readonly catalog: Catalog;
  /**
   * Invokes the runtime's approval-api and github-webhook handlers, as their function URLs do.
   * @default - the approval pages, Slack interactions and the GitHub webhook are not served (404)
   */
  readonly invoke?: HandlerInvoker;
  /** Enables the CLI's JSON API under /api/ (bearer token from runtime.json). @default - no API */
  readonly api?: { readonly token: string; readonly ports: () => Pick<Ports, 'tasks' | 'clock'> };
  /** Serves POST /api/rollback when given. @default - no rollback endpoint */
  readonly rollback?: () => RollbackRunner | undefined;
  /** Serves POST /api/retry with these ports when given. @default - no retry endpoint */
  readonly retry?: () => RetryPorts | undefined;
  /** Serves POST /api/cancel with these ports when given. @default - no cancel endpoint */
  readonly cancel?: () => CancelPorts | undefined;
}

/**
 * Reads at most `limit` + 1 bytes, so an oversize body is detected without buffering all of it. The bytes stay
 * as they came: a signature is over the raw body, and decoding to text and back changes invalid UTF-8.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      // Keep exactly limit + 1 bytes of an oversize body (however it is chunked), so the handler sees it is too large.
      const kept = chunk.subarray(0, Math.max(0, limit + 1 - size));
      size += chunk.length;
      if (kept.length > 0) chunks.push(kept);
      if (size > limit) {
        req.pause();
        resolveBody(Buffer.concat(chunks));
      }
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class LocalWebServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: LocalWebServerOptions): Promise<LocalWebServer> {
    let allowedHosts: ReadonlySet<string> = new Set();
    const server = createServer((req, res) => {
      // DNS rebinding: a page on another origin that resolves to 127.0.0.1 sends its own name as Host.
      const host = (req.headers.host ?? '').toLowerCase();
      if (!allowedHosts.has(host)) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Refused: Host must be one of ${[...allowedHosts].join(', ')}; received "${host}"`);
        return;
      }
      LocalWebServer.route(req, res, options).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Internal error: ${error.message}`);
      });
    });
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.listen(options.port, '127.0.0.1', ready);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    return new LocalWebServer(server, `http://127.0.0.1:${port}`);
  }

  /** Serves the request through the runtime's handler as its Lambda function URL would. */
  private static async functionUrl(
    handler: 'approval-api' | 'github-webhook',
    limit: number,
    req: IncomingMessage,
    res: ServerResponse,
    invoke: HandlerInvoker,
  ): Promise<void> {
    const body = await readBody(req, limit);
    const event = functionUrlEvent(req, body);
    const result = (await invoke(handler, event, 10_000)) as LambdaFunctionURLResult;
    const response = typeof result === 'string' ? { statusCode: 200, body: result, headers: {} } : result;
    res.writeHead(response.statusCode ?? 200, response.headers as Record<string, string>);
    res.end(response.body ?? '');
  }

  private static async route(
    req: IncomingMessage,
    res: ServerResponse,
    options: LocalWebServerOptions,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    // The CLI's API: `/api/status` is read-only (below); the rest needs the bearer token from runtime.json.
    if (path.startsWith('/api/') && path !== '/api/status' && options.api) {
      if (!authorizedApiCall(req, options.api.token)) {
        return sendJson(res, 401, { error: 'missing or wrong bearer token' });
      }
      const body = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
      const rollback = path === ROLLBACK_API_PATH ? options.rollback?.() : undefined;
      if (rollback) return handleRollbackApi(req, res, body, rollback);
      const retryPorts = path === RETRY_API_PATH ? options.retry?.() : undefined;
      if (retryPorts) return handleRetryApi(req, res, body, retryPorts);
      const cancelPorts = path === CANCEL_API_PATH ? options.cancel?.() : undefined;
      if (cancelPorts) return handleCancelApi(req, res, body, cancelPorts);
      await handleApprovalsApi(req, res, body, {
        ledger: options.ledger,
        catalog: options.catalog,
        ports: options.api.ports,
      });
      return;
    }
    if (options.invoke && (path.startsWith('/approvals/') || path === '/slack/interactions')) {
      await LocalWebServer.functionUrl('approval-api', MAX_BODY_BYTES, req, res, options.invoke);
      return;
    }
    // The GitHub webhook, as its function URL serves it in AWS (pushes go to the local event bus).
    if (options.invoke && path === '/webhooks/github') {
      await LocalWebServer.functionUrl('github-webhook', DEFAULT_MAX_BODY_BYTES, req, res, options.invoke);
      return;
    }
    if ((path === '/' || path === '/api/status') && req.method === 'GET') {
      let report: StatusReport;
      try {
        report = await LocalWebServer.status(url.searchParams, options);
      } catch (error) {
        if (!(error instanceof RangeError) && (error as Error).name !== 'UnknownServiceError') throw error;
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end((error as Error).message);
        return;
      }
      if (path === '/api/status') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(report));
      } else {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        });
        res.end(renderStatusPage(report));
      }
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found');
  }

  /** `?since=30d&service=S&buckets=10`: the status the page and `sluice status`/`metrics` show. */
  private static status(query: URLSearchParams, options: LocalWebServerOptions): Promise<StatusReport> {
    const buckets = Number(query.get('buckets') ?? '10');
    const service = query.get('service') ?? undefined;
    return collectStatus(options.ledger, options.catalog, {
      now: new Date(),
      periodMs: parseDuration(query.get('since') ?? '30d'),
      buckets,
      ...(service ? { service } : {}),
    });
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }
}
