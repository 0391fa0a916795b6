/**
 * One immutable version of a service, in its own process: loads the artifact's index.js, serves the exported
 * Function URL handler over HTTP on 127.0.0.1 (and Lambda's Invoke API path, for events) and reports its port
 * to the parent over IPC. The parent bundles
 * this file with esbuild and forks it with plain node, so it may import only Node built-ins and protocol.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { functionUrlEvent } from './function-url-event';
import {
  DURATION_HEADER,
  FUNCTION_ERROR_HEADER,
  INVOCATION_ERROR_HEADER,
  INVOKE_PATH,
  VERSION_HEADER,
  type VersionHostConfig,
  type VersionHostMessage,
} from './protocol';

type Handler = (event: unknown, context: unknown) => unknown;

interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const config = JSON.parse(process.argv[2] ?? '{}') as VersionHostConfig;
const functionName = `sluice-${config.service}`;

function send(message: VersionHostMessage): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function fail(message: string): void {
  send({ type: 'failed', message });
  // Let the IPC message flush before leaving.
  setTimeout(() => process.exit(1), 50);
}

// No parent means nobody can stop this process: leave with it (no orphans even if the parent is killed).
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
// Lambda fails the one invocation; a stray async error must not take the whole version down mid-canary.
process.on('uncaughtException', (error) =>
  console.error(`[${functionName}:${config.version}] uncaught`, error),
);
process.on('unhandledRejection', (error) =>
  console.error(`[${functionName}:${config.version}] unhandled rejection`, error),
);

function loadHandler(): Handler | undefined {
  let exports: Record<string, unknown>;
  try {
    exports = require(join(config.dir, 'index.js')) as Record<string, unknown>;
  } catch (error) {
    fail(`index.js failed to load: ${describe(error)}`);
    return undefined;
  }
  const handler = exports?.[config.handler];
  if (typeof handler !== 'function') {
    const names = Object.keys(exports ?? {});
    fail(
      `index.js does not export a function named "${config.handler}" ` +
        `(it exports ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'nothing'}); ` +
        `check runtime.handler in the catalog`,
    );
    return undefined;
  }
  return handler as Handler;
}

function lambdaContext(requestId: string): Record<string, unknown> {
  const deadline = Date.now() + 30_000;
  return {
    functionName,
    functionVersion: config.version,
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}:${config.version}`,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${config.version}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** Lambda's Function URL response rules: a string or plain object is a 200 JSON body; `statusCode` means a full response. */
function toResponse(result: unknown): FunctionUrlResult {
  const json = { 'content-type': 'application/json' };
  if (typeof result === 'string') return { statusCode: 200, headers: json, body: Buffer.from(result) };
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const r = result as {
      statusCode: unknown;
      headers?: unknown;
      body?: unknown;
      isBase64Encoded?: unknown;
      cookies?: unknown;
    };
    if (
      typeof r.statusCode !== 'number' ||
      !Number.isInteger(r.statusCode) ||
      r.statusCode < 100 ||
      r.statusCode > 599
    ) {
      throw new TypeError(`the handler returned an invalid statusCode ${JSON.stringify(r.statusCode)}`);
    }
    const headers: Record<string, string> = {};
    if (r.headers && typeof r.headers === 'object') {
      for (const [name, value] of Object.entries(r.headers)) headers[name.toLowerCase()] = String(value);
    }
    const text =
      r.body === undefined || r.body === null
        ? ''
        : typeof r.body === 'string'
          ? r.body
          : JSON.stringify(r.body);
    const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
    return { statusCode: r.statusCode, headers, body };
  }
  return {
    statusCode: 200,
    headers: json,
    body: Buffer.from(result === undefined ? '' : JSON.stringify(result)),
  };
}

/**
 * Lambda Invoke (RequestResponse): the body is the event; the answer is the handler's result as JSON, or, when it
 * throws, Lambda's error document with `X-Amz-Function-Error: Unhandled` (still status 200, as Invoke answers).
 */
async function invoke(handler: Handler, body: Buffer, res: ServerResponse): Promise<void> {
  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8') || 'null');
  } catch (error) {
    res.writeHead(400, { 'content-type': 'application/json', [VERSION_HEADER]: config.version });
    res.end(JSON.stringify({ Type: 'User', message: `InvalidRequestContentException: ${describe(error)}` }));
    return;
  }
  const requestId = randomUUID();
  const started = performance.now();
  const duration = () => (Math.round((performance.now() - started) * 100) / 100).toString();
  try {
    const result = await handler(event, lambdaContext(requestId));
    res.writeHead(200, {
      'content-type': 'application/json',
      [VERSION_HEADER]: config.version,
      [DURATION_HEADER]: duration(),
    });
    res.end(result === undefined ? '' : JSON.stringify(result));
  } catch (error) {
    console.error(`[${functionName}:${config.version}] invocation error`, error);
    const message = describe(error);
    res.writeHead(200, {
      'content-type': 'application/json',
      [VERSION_HEADER]: config.version,
      [FUNCTION_ERROR_HEADER]: 'Unhandled',
      [INVOCATION_ERROR_HEADER]: encodeURIComponent(message.slice(0, 300)),
      [DURATION_HEADER]: duration(),
    });
    res.end(
      JSON.stringify({
        errorType: error instanceof Error ? error.name : 'Error',
        errorMessage: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}

async function serve(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method === 'POST' && INVOKE_PATH.test(req.url ?? '')) {
    await invoke(handler, Buffer.concat(chunks), res);
    return;
  }
  const event = functionUrlEvent(req, Buffer.concat(chunks));
  const requestId = event.requestContext.requestId;
  let response: FunctionUrlResult;
  const started = performance.now();
  const duration = () => (Math.round((performance.now() - started) * 100) / 100).toString();
  try {
    response = toResponse(await handler(event, lambdaContext(requestId)));
  } catch (error) {
    console.error(`[${functionName}:${config.version}] invocation error`, error);
    const message = describe(error);
    const payload = {
      message: 'Internal Server Error',
      errorType: error instanceof Error ? error.name : 'Error',
      errorMessage: message,
    };
    res.writeHead(502, {
      'content-type': 'application/json',
      [VERSION_HEADER]: config.version,
      [INVOCATION_ERROR_HEADER]: encodeURIComponent(message.slice(0, 300)),
      [DURATION_HEADER]: duration(),
    });
    res.end(JSON.stringify(payload));
    return;
  }
  res.writeHead(response.statusCode, {
    ...response.headers,
    [VERSION_HEADER]: config.version,
    [DURATION_HEADER]: duration(),
  });
  res.end(response.body);
}

function main(): void {
  const handler = loadHandler();
  if (!handler) return;
  const server = createServer((req, res) => {
    serve(handler, req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(502, { [VERSION_HEADER]: config.version });
      res.end();
      console.error(error);
    });
  });
  server.on('error', (error) => fail(`could not listen on 127.0.0.1: ${describe(error)}`));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') send({ type: 'ready', port: address.port });
    else fail('the HTTP server has no port');
  });
}

main();
