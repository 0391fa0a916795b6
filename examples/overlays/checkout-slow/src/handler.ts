/**
 * Checkout: a Lambda Function URL handler (payload format 2.0).
 * POST /checkout prices an order; GET / is the health check the pipeline's smoke test calls.
 */
import { randomUUID } from 'node:crypto';
import { emitOrderCompleted } from './metrics';
import { InvalidOrderError, parseOrder, priceOrder } from './order';

export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): FunctionUrlResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function readBody(event: FunctionUrlEvent): unknown {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  try {
    return JSON.parse(raw);
  } catch {
    throw new InvalidOrderError('the body must be valid JSON');
  }
}

/** The mail service this commit calls to send the receipt: it works, but takes ~800 ms each time. */
async function sendReceipt(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 800));
}

async function checkout(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  try {
    const priced = priceOrder(parseOrder(readBody(event)));
    emitOrderCompleted();
    // The order is complete (and counted) before the receipt goes out; the customer waits for both.
    await sendReceipt();
    return json(200, { orderId: randomUUID(), ...priced });
  } catch (error) {
    if (error instanceof InvalidOrderError) return json(400, { error: error.message });
    throw error;
  }
}

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  if (path === '/') {
    if (method !== 'GET' && method !== 'HEAD')
      return json(405, { error: `use GET, not ${method}` }, { allow: 'GET, HEAD' });
    return json(200, { status: 'ok', service: 'checkout' });
  }
  if (path === '/checkout') {
    if (method !== 'POST') return json(405, { error: `use POST, not ${method}` }, { allow: 'POST' });
    return checkout(event);
  }
  return json(404, { error: `no route for ${path}` });
}
