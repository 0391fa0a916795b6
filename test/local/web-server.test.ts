/** The local web server's CLI API: one bearer-token check in front of every `/api/*` route but the status. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lambdas/core/catalog/validate';
import { systemClock } from '../../lambdas/core/ports';
import { LocalWebServer } from '../../local/web-server';
import { startTestLedger, type TestLedger } from '../support/dynamodb';

const TOKEN = 'the-api-token-from-runtime.json';
let dynamo: TestLedger;
let web: LocalWebServer;
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
  web = await LocalWebServer.start({
    port: 0,
    ledger: await dynamo.newLedger(),
    catalog: parsed.catalog,
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
    for (const authorization of [undefined, 'Bearer wrong-token']) {
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
