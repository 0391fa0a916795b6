/** The local web server's CLI API: one bearer-token check in front of every `/api/*` route but the status. */
import { statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../lambdas/core/catalog/types';
import { parseCatalog } from '../../lambdas/core/catalog/validate';
import { type Ports, systemClock } from '../../lambdas/core/ports';
import type { PushEvent } from '../../lambdas/core/push-routing';
import { signatureOf } from '../../lambdas/github-webhook/github-webhook';
import { writeRuntimeInfo } from '../../local/approval-runtime';
import { LocalHandlers } from '../../local/handlers';
import { LocalWebServer } from '../../local/web-server';
import { startTestLedger, type TestLedger } from '../support/dynamodb';
import { testTempDir } from '../support/test-temp-dir';

const TOKEN = 'the-api-token-from-runtime.json';
let dynamo: TestLedger;
let web: LocalWebServer;
let catalog: Catalog;
const rollbacks: unknown[] = [];

beforeAll(async () => {
  dynamo = await startTestLedger();
  const parsed = parseCatalog({
    version: 1,
    services: [
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
      },
    ],
  });
  if (!parsed.ok) throw new Error('catalog');
  catalog = parsed.catalog;
  web = await LocalWebServer.start({
    port: 0,
    ledger: await dynamo.newLedger(),
    catalog,
    api: {
      token: TOKEN,
      ports: () => ({
        clock: systemClock,
        tasks: { succeed: async () => undefined, fail: async () => undefined },
      }),
    },
    rollback: () => async (request) => {
      rollbacks.push(request);
      throw Object.assign(new Error('refused for the test'), { name: 'RollbackRefusedError' });
    },
  });
});

afterAll(async () => {
  await web?.close();
  await dynamo?.stop();
});

const call = (path: string, init: RequestInit = {}) => fetch(`${web.url}${path}`, init);
const rollbackBody = JSON.stringify({ service: 'checkout', reason: 'x', as: 'a@example.com' });

describe('the CLI API', () => {
  it('refuses the approvals and rollback routes without the right bearer token, doing nothing', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', TOKEN, `bearer ${TOKEN}`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      expect((await call('/api/approvals', { headers })).status).toBe(401);
      expect((await call('/api/rollback', { method: 'POST', headers, body: rollbackBody })).status).toBe(401);
    }
    expect(rollbacks).toEqual([]);
  });

  it('serves both with the token; the status stays readable without one', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const listed = await call('/api/approvals', { headers });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ approvals: [] });
    const refused = await call('/api/rollback', { method: 'POST', headers, body: rollbackBody });
    expect(refused.status).toBe(409);
    expect(rollbacks).toEqual([{ service: 'checkout', reason: 'x', requestedBy: 'a@example.com' }]);
    const tooLarge = await call('/api/rollback', { method: 'POST', headers, body: 'x'.repeat(20_000) });
    expect(tooLarge.status).toBe(413);
    expect((await call('/api/status')).status).toBe(200);
  });
});

/** A GET with a Host header of our choosing (fetch may not set Host). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(web.url);
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('DNS rebinding', () => {
  it('answers only requests whose Host is 127.0.0.1 or localhost on its own port', async () => {
    const { port } = new URL(web.url);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await getWithHost('/api/status', host)).status).toBe(200);
    }
    for (const host of [`attacker.example:${port}`, 'localhost', `127.0.0.1:${Number(port) + 1}`]) {
      const refused = await getWithHost('/api/status', host);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain(`Host must be one of 127.0.0.1:${port}, localhost:${port}`);
      expect((await getWithHost('/approvals/x', host)).status).toBe(403);
    }
  });
});

describe('runtime.json', () => {
  it('is readable by its owner only, also when an earlier run left it readable by others', async () => {
    const dir = testTempDir('runtime-json-');
    writeFileSync(join(dir, 'runtime.json'), '{}', { mode: 0o644 });
    expect(statSync(join(dir, 'runtime.json')).mode & 0o777).toBe(0o644);
    await writeRuntimeInfo(dir, { url: 'http://127.0.0.1:1', token: 't', pid: 1 });
    expect(statSync(join(dir, 'runtime.json')).mode & 0o777).toBe(0o600);
  });
});

describe('the local GitHub webhook', () => {
  it('verifies the signature over the raw bytes, also when they are not UTF-8', async () => {
    const published: PushEvent[] = [];
    // The runtime's handlers on ports of this test's own: only the webhook's two are used.
    const handlers = new LocalHandlers();
    handlers.bind({
      webhookSecret: { signingKey: async () => Buffer.from('webhook secret') },
      pushes: { publish: async (push: PushEvent) => void published.push(push) },
    } as unknown as Ports);
    const server = await LocalWebServer.start({
      port: 0,
      ledger: await dynamo.newLedger(),
      catalog,
      invoke: handlers.invoke,
    });
    try {
      const json = JSON.stringify({
        ref: 'refs/heads/main',
        after: 'b'.repeat(40),
        repository: { full_name: 'acme/checkout' },
        head_commit: { message: 'caf_' },
      });
      // A Latin-1 "é" (0xE9) where the placeholder was: a byte sequence that is not UTF-8.
      const body = Buffer.from(json, 'latin1');
      body[body.indexOf('caf_') + 3] = 0xe9;
      const res = await fetch(`${server.url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': 'delivery-raw-bytes',
          'x-hub-signature-256': signatureOf('webhook secret', body),
        },
        body,
      });
      expect(res.status).toBe(202);
      expect(published.map((p) => p.repository)).toEqual(['acme/checkout']);
    } finally {
      await server.close();
    }
  });
});
