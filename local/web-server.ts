/**
 * The local web server on 127.0.0.1: the approval pages (served by the same approval-api handler module
 * as the Lambda function URL) and a status page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';
import type { Ledger } from '../lambdas/shared/ledger';
import type { Catalog } from '../lib/catalog/types';
import { functionUrlEvent } from './deploy-target/function-url-event';
import { HANDLER_MODULES } from './handlers';
import { lambdaContext } from './lambda-context';
import { handleRollbackApi, ROLLBACK_API_PATH, type RollbackRunner } from './rollback-api';
import { renderStatusPage } from './status-page';

export interface LocalWebServerOptions {
  readonly port: number;
  readonly ledger: Ledger;
  readonly catalog: Catalog;
  /** Serves POST /api/rollback when given. @default - no rollback endpoint */
  readonly rollback?: () => RollbackRunner | undefined;
}

/** Reads at most `limit` + 1 bytes, so an oversize body is detected without buffering all of it. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit + 1) chunks.push(chunk);
      else req.pause();
      if (size > limit) resolveBody(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class LocalWebServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: LocalWebServerOptions): Promise<LocalWebServer> {
    const server = createServer((req, res) => {
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
    return new LocalWebServer(server, `http://127.0.0.1:${port}`);
  }

  private static async route(
    req: IncomingMessage,
    res: ServerResponse,
    options: LocalWebServerOptions,
  ): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/approvals/')) {
      const body = await readBody(req, MAX_BODY_BYTES);
      const result = (await HANDLER_MODULES['approval-api'].handler(
        functionUrlEvent(req, Buffer.from(body)) as never,
        lambdaContext({ handler: 'approval-api' }, 10_000),
      )) as LambdaFunctionURLResult;
      const response = typeof result === 'string' ? { statusCode: 200, body: result, headers: {} } : result;
      res.writeHead(response.statusCode ?? 200, response.headers as Record<string, string>);
      res.end(response.body ?? '');
      return;
    }
    if (path === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(await renderStatusPage(options.ledger, options.catalog));
      return;
    }
    const rollback = path === ROLLBACK_API_PATH ? options.rollback?.() : undefined;
    if (rollback) return handleRollbackApi(req, res, rollback);
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found');
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }
}
