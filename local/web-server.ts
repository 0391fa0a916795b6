/**
 * The local web server on 127.0.0.1: the approval pages (served by the same approval-api handler module
 * as the Lambda function URL) and a status page.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../lambdas/approval-api/approval-api';
import type { Ledger } from '../lambdas/shared/ledger';
import type { Catalog } from '../lib/catalog/types';
import { HANDLER_MODULES } from './handlers';
import { lambdaContext } from './lambda-context';
import { renderStatusPage } from './status-page';

export interface LocalWebServerOptions {
  readonly port: number;
  readonly ledger: Ledger;
  readonly catalog: Catalog;
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

/** The event a Lambda function URL delivers for this request (payload format 2.0). */
export function toFunctionUrlEvent(req: IncomingMessage, body: string): LambdaFunctionURLEvent {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
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
        toFunctionUrlEvent(req, body) as never,
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
