import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FunctionUrlEvent, handler } from '../src/handler';

function request(method: string, path: string, query: Record<string, string> = {}): FunctionUrlEvent {
  return {
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    headers: {},
    requestContext: { http: { method } },
  };
}

describe('greeter', () => {
  it('greets the world on GET /', async () => {
    const response = await handler(request('GET', '/'));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(response.body), { message: 'Hello, world!' });
  });

  it('greets by name', async () => {
    const response = await handler(request('GET', '/', { name: 'Ada' }));
    assert.deepEqual(JSON.parse(response.body), { message: 'Hello, Ada!' });
  });

  it('reads the name from the raw query string too', async () => {
    const response = await handler({
      rawPath: '/',
      rawQueryString: 'name=Grace',
      requestContext: { http: { method: 'GET' } },
    });
    assert.deepEqual(JSON.parse(response.body), { message: 'Hello, Grace!' });
  });

  it('refuses a name that is too long', async () => {
    const response = await handler(request('GET', '/', { name: 'x'.repeat(41) }));
    assert.equal(response.statusCode, 400);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    assert.equal((await handler(request('GET', '/nope'))).statusCode, 404);
    const post = await handler(request('POST', '/'));
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });
});
