import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handler } from '../src/handler';

describe('checkout health', () => {
  it('answers GET / with 200', async () => {
    const response = await handler({ rawPath: '/', requestContext: { http: { method: 'GET' } } });
    assert.equal(response.statusCode, 200);
    assert.equal(JSON.parse(response.body).status, 'ok');
  });

  it('answers 404 for unknown paths', async () => {
    const response = await handler({ rawPath: '/nope', requestContext: { http: { method: 'GET' } } });
    assert.equal(response.statusCode, 404);
  });
});
