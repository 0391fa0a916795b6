import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FunctionUrlEvent, handler } from '../src/handler';

function post(body: unknown, raw?: string): FunctionUrlEvent {
  return {
    rawPath: '/checkout',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
    requestContext: { http: { method: 'POST' } },
  };
}

const basket = {
  items: [
    { sku: 'tea', quantity: 2, unitPrice: 350 },
    { sku: 'cake', quantity: 1, unitPrice: 425 },
  ],
};

describe('POST /checkout', () => {
  it('totals the order in cents', async () => {
    const response = await handler(post(basket));
    assert.equal(response.statusCode, 200);
    const order = JSON.parse(response.body);
    assert.equal(order.subtotal, 1125);
    assert.equal(order.discount, 0);
    assert.equal(order.total, 1125);
    assert.equal(order.itemCount, 3);
    assert.equal(order.currency, 'EUR');
    assert.match(order.orderId, /^[0-9a-f-]{36}$/);
  });

  it('accepts a base64-encoded body', async () => {
    const event = {
      ...post(undefined, Buffer.from(JSON.stringify(basket)).toString('base64')),
      isBase64Encoded: true,
    };
    assert.equal((await handler(event)).statusCode, 200);
  });

  it('refuses invalid JSON and invalid orders with 400', async () => {
    assert.equal((await handler(post(undefined, '{nope'))).statusCode, 400);
    assert.equal((await handler(post({ items: [] }))).statusCode, 400);
    const badQuantity = await handler(post({ items: [{ sku: 'tea', quantity: 0, unitPrice: 1 }] }));
    assert.equal(badQuantity.statusCode, 400);
    assert.match(JSON.parse(badQuantity.body).error, /items\[0\]\.quantity/);
  });

  it('applies a discount code, rounding the discount down', async () => {
    const order = JSON.parse((await handler(post({ ...basket, discountCode: 'save10' }))).body);
    assert.equal(order.subtotal, 1125);
    assert.equal(order.discount, 112);
    assert.equal(order.total, 1013);
  });

  it('refuses an unknown discount code with 400', async () => {
    const response = await handler(post({ ...basket, discountCode: 'FREE' }));
    assert.equal(response.statusCode, 400);
    assert.match(JSON.parse(response.body).error, /unknown discountCode/);
  });

  it('answers 405 for GET /checkout', async () => {
    const response = await handler({ rawPath: '/checkout', requestContext: { http: { method: 'GET' } } });
    assert.equal(response.statusCode, 405);
  });
});
