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
    assert.equal(JSON.parse(response.body).message, 'Hello, world!');
  });

  it('greets by name', async () => {
    const response = await handler(request('GET', '/', { name: 'Ada' }));
    assert.equal(JSON.parse(response.body).message, 'Hello, Ada!');
  });

  it('reads the name from the raw query string too', async () => {
    const response = await handler({
      rawPath: '/',
      rawQueryString: 'name=Grace',
      requestContext: { http: { method: 'GET' } },
    });
    assert.equal(JSON.parse(response.body).message, 'Hello, Grace!');
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

describe('greeter languages', () => {
  it('greets in French, Spanish and German', async () => {
    const greet = async (lang: string) =>
      JSON.parse((await handler(request('GET', '/', { name: 'Ada', lang }))).body);
    assert.deepEqual(await greet('fr'), { message: 'Bonjour, Ada!', lang: 'fr' });
    assert.equal((await greet('es')).message, 'Hola, Ada!');
    assert.equal((await greet('DE')).message, 'Hallo, Ada!');
  });

  it('refuses an unsupported language with 400', async () => {
    const response = await handler(request('GET', '/', { lang: 'tlh' }));
    assert.equal(response.statusCode, 400);
    assert.match(JSON.parse(response.body).error, /use one of en, fr, es, de/);
  });

  it('does not treat inherited object keys as languages', async () => {
    assert.equal((await handler(request('GET', '/', { lang: 'constructor' }))).statusCode, 400);
  });
});
