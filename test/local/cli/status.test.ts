import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCatalogFile } from '../../../lambdas/core/catalog/load';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { awsStatusReport } from '../../../local/cli/status-aws';
import { LocalWebServer } from '../../../local/web-server';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';
import { sluiceInProcess } from './run-sluice';

const root = testTempDir('status-cli-');
const catalogFile = join(root, 'sluice.catalog.json');
writeFileSync(
  catalogFile,
  JSON.stringify({
    version: 1,
    services: [
      {
        name: 'greeter',
        mode: 'auto',
        source: { repository: 'greeter' },
        runtime: { entry: 'src/handler.ts' },
        approval: { approvers: ['alice@example.com'] },
      },
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
      },
    ],
  }),
);

const HOUR = 3_600_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

/** A checkout release that went live an hour after its commit, or was rolled back after 6 minutes. */
const checkoutRelease = (n: number, status: 'succeeded' | 'rolled_back', endMs: number) => ({
  releaseId: `checkout-${n}`,
  service: 'checkout',
  mode: 'deployment' as const,
  commit: {
    sha: `${n}`.padEnd(40, 'a'),
    author: 'dev@example.com',
    message: `c${n}`,
    time: iso(endMs - HOUR),
  },
  startedAt: iso(endMs - 30 * 60_000),
  trigger: { source: 'manual' as const },
  status,
  stages: {
    Deploy: {
      status: status === 'succeeded' ? 'succeeded' : 'failed',
      startedAt: iso(endMs - 6 * 60_000),
      endedAt: iso(endMs),
      durationMs: 6 * 60_000,
    },
  },
  outcome: { status, stage: 'Deploy', endedAt: iso(endMs) },
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await sluiceInProcess(args);
  return { code, out: stdout, err: stderr };
}

describe('sluice status / metrics against a running local runtime', () => {
  let dynamo: TestLedger;
  let web: LocalWebServer;
  const stateDir = join(root, 'state');

  beforeAll(async () => {
    dynamo = await startTestLedger();
    const ledger = await dynamo.newLedger();
    for (const [n, status, daysAgo] of [
      [1, 'succeeded', 3],
      [2, 'rolled_back', 2],
      [3, 'succeeded', 1],
    ] as const) {
      const r = checkoutRelease(n, status, now - daysAgo * 24 * HOUR);
      await ledger.startRelease(r);
      await ledger.recordStage(r.releaseId, 'Deploy', r.stages.Deploy as never);
      await ledger.finishRelease(r.releaseId, 'checkout', r.outcome as never);
    }
    web = await LocalWebServer.start({ port: 0, ledger, catalog: requireCatalogFile(catalogFile) });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      join(stateDir, 'runtime.json'),
      JSON.stringify({ url: web.url, token: 't', pid: process.pid }),
    );
  });

  afterAll(async () => {
    await web?.close();
    await dynamo?.stop();
  });

  it('prints DORA metrics per service and per mode', async () => {
    const { code, out, err } = await cli(['metrics', '--since', '7d', '--state-dir', stateDir]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/^DORA metrics, .* \(7 days\)/);
    // checkout: 3 releases, 2 deploys, 2/7 per day, lead time 1 h, 1 of 3 rolled back, restore 6 min.
    expect(out).toMatch(/checkout\s+deployment\s+3\s+2\s+0\.29\s+1 h\s+–\s+33\.3% \(1\/3\)\s+6 min/);
    expect(out).toMatch(/all deployment\s+deployment\s+3\s+2/);
  });

  it('prints each service with its mode and readiness, and the same as JSON', async () => {
    const { code, out } = await cli(['status', '--state-dir', stateDir]);
    expect(code).toBe(0);
    expect(out).toContain('greeter  [auto (delivery now)]  live: nothing yet');
    expect(out).toContain('readiness 25/100');
    expect(out).toContain('checkout  [deployment]');
    expect(out).toMatch(/checkout-3\s+succeeded\s+Deploy/);
    const json = await cli(['status', '--json', '--service', 'checkout', '--state-dir', stateDir]);
    expect(JSON.parse(json.out).services.map((s: { name: string }) => s.name)).toEqual(['checkout']);
  });

  it('says what is wrong: a bad period, an unknown service, no runtime', async () => {
    const bad = await cli(['metrics', '--since', 'forever', '--state-dir', stateDir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since: Cannot read the duration "forever"');
    const unknown = await cli(['status', '--service', 'nope', '--state-dir', stateDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('No service "nope" in the catalog; known services: greeter, checkout');
    const none = await cli(['status', '--state-dir', join(root, 'nowhere')]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no running local runtime: .*runtime.json is missing/);
  });
});

describe('sluice status --aws', () => {
  let dynamo: TestLedger;
  beforeAll(async () => {
    dynamo = await startTestLedger();
  }, 120_000);
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('reads the deployed ledger (DynamoDB Local here) and reports the period asked for', async () => {
    const table = await dynamo.newTable();
    const ledger = Ledger.forTable(dynamo.client, table);
    // Two checkout releases within the last day, one three days ago, and a greeter release.
    for (const [n, status, endMs] of [
      [1, 'succeeded', now - HOUR],
      [2, 'rolled_back', now - 2 * HOUR],
      [3, 'succeeded', now - 3 * 24 * HOUR],
    ] as const) {
      const r = checkoutRelease(n, status, endMs);
      await ledger.startRelease(r);
      await ledger.recordStage(r.releaseId, 'Deploy', r.stages.Deploy as never);
      await ledger.finishRelease(r.releaseId, 'checkout', r.outcome as never);
    }
    await ledger.startRelease({
      ...checkoutRelease(4, 'succeeded', now - HOUR),
      releaseId: 'greeter-4',
      service: 'greeter',
    });
    await ledger.setLive('checkout', {
      liveVersion: '3',
      liveReleaseId: 'checkout-1',
      updatedAt: iso(now - HOUR),
    });

    const report = await awsStatusReport({
      tableName: table,
      catalogFile,
      periodMs: 24 * HOUR,
      service: 'checkout',
      client: DynamoDBDocumentClient.from(dynamo.client),
      now: new Date(now),
    });
    expect(report.services.map((s) => s.name)).toEqual(['checkout']);
    expect(report.dora.byService.checkout).toMatchObject({
      releases: 2,
      deployments: 1,
      failedProductionReleases: 1,
    });
    expect(report.services[0]?.live).toEqual({ version: '3', releaseId: 'checkout-1' });
  });

  it('needs --table with --aws', async () => {
    const { code, err } = await cli(['metrics', '--aws']);
    expect(code).toBe(2);
    expect(err).toContain('--aws needs --table NAME');
  });
});
