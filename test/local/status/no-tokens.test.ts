/**
 * Task tokens resume executions (approve a release, finish a deployment): no report may carry one. The ledger
 * is seeded with an approval, a release and a queued deployment that each hold a token, and every output of
 * the status readers is searched for any part of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import { systemClock } from '../../../lambdas/core/ports';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { listApprovalsWithAudit } from '../../../local/approval-runtime';
import { runCli } from '../../../local/cli/dispatch';
import { awsStatusReport } from '../../../local/cli/status-aws';
import { LocalWebServer } from '../../../local/web-server';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';

const APPROVAL_TOKEN = 'APPROVALTOKEN-0123456789abcdef';
const DEPLOY_TOKEN = 'DEPLOYTOKEN-fedcba9876543210';
const QUEUED_TOKEN = 'QUEUEDTOKEN-aaaabbbbccccdddd';
/** Any 12-character piece of a token gives it away. */
const TOKEN_PIECES = [APPROVAL_TOKEN, DEPLOY_TOKEN, QUEUED_TOKEN].flatMap((token) =>
  Array.from({ length: token.length - 11 }, (_, i) => token.slice(i, i + 12)),
);

const catalogJson = {
  version: 1,
  services: [
    {
      name: 'greeter',
      mode: 'delivery',
      source: { repository: 'greeter' },
      runtime: { entry: 'src/handler.ts' },
      approval: { approvers: ['alice@example.com'] },
    },
  ],
};
const parsed = parseCatalog(catalogJson);
if (!parsed.ok) throw new Error('catalog');
const catalog = parsed.catalog;
const root = testTempDir('no-tokens-');
const catalogFile = join(root, 'sluice.catalog.json');
writeFileSync(catalogFile, JSON.stringify(catalogJson));
const stateDir = join(root, 'state');

let dynamo: TestLedger;
let table: string;
let ledger: Ledger;
let web: LocalWebServer;

beforeAll(async () => {
  dynamo = await startTestLedger();
  table = await dynamo.newTable();
  ledger = Ledger.forTable(dynamo.client, table);
  const now = new Date();
  const release = {
    releaseId: 'greeter-1',
    service: 'greeter',
    mode: 'delivery' as const,
    commit: { sha: 'a'.repeat(40), author: 'dev@example.com', message: 'm', time: now.toISOString() },
    startedAt: now.toISOString(),
    trigger: { source: 'manual' as const },
  };
  await ledger.startRelease(release);
  await ledger.updateRelease('greeter-1', { deployTaskToken: DEPLOY_TOKEN, version: '2' });
  await ledger.putApproval({
    approvalId: 'approval-0001',
    releaseId: 'greeter-1',
    service: 'greeter',
    approvers: ['alice@example.com'],
    required: 1,
    status: 'pending',
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    taskToken: APPROVAL_TOKEN,
    details: ['tests passed'],
  });
  await ledger.acquireDeployLock('greeter', {
    releaseId: 'greeter-0',
    taskToken: 'held-lock-token-not-searched',
    config: defined(catalog.services[0], 'greeter'),
    version: '1',
    queuedAt: now.toISOString(),
  });
  await ledger.acquireDeployLock('greeter', {
    releaseId: 'greeter-1',
    taskToken: QUEUED_TOKEN,
    config: defined(catalog.services[0], 'greeter'),
    version: '2',
    queuedAt: now.toISOString(),
  });
  web = await LocalWebServer.start({
    port: 0,
    ledger,
    catalog,
    api: {
      token: 'api-token',
      ports: () => ({ clock: systemClock, tasks: { succeed: async () => {}, fail: async () => {} } }),
    },
  });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    join(stateDir, 'runtime.json'),
    JSON.stringify({ url: web.url, token: 'api-token', pid: process.pid }),
  );
});

afterAll(async () => {
  await web?.close();
  await dynamo?.stop();
});

function expectNoToken(output: string): void {
  expect(TOKEN_PIECES.filter((piece) => output.includes(piece))).toEqual([]);
}

async function cliOut(args: string[]): Promise<string> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await runCli(args)).toBe(0);
    return out.mock.calls.map((c) => String(c[0])).join('');
  } finally {
    out.mockRestore();
  }
}

describe('no task token reaches a report', () => {
  it('the seeded ledger does hold the tokens (so the searches below can find them)', async () => {
    expect((await ledger.getApproval('approval-0001'))?.taskToken).toBe(APPROVAL_TOKEN);
    expect((await ledger.getRelease('greeter-1'))?.deployTaskToken).toBe(DEPLOY_TOKEN);
    expect(JSON.stringify(await ledger.getServiceState('greeter'))).toContain(QUEUED_TOKEN);
  });

  it('/api/status and the status page', async () => {
    const api = await (await fetch(`${web.url}/api/status`)).text();
    expect(api).toContain('approval-0001');
    expectNoToken(api);
    expectNoToken(await (await fetch(`${web.url}/`)).text());
  });

  it('sluice status --json and sluice approvals --json', async () => {
    const status = await cliOut(['status', '--json', '--state-dir', stateDir]);
    expect(status).toContain('greeter-1');
    expectNoToken(status);
    const approvals = await cliOut(['approvals', '--json', '--state-dir', stateDir]);
    expect(approvals).toContain('approval-0001');
    expectNoToken(approvals);
  });

  it('sluice status --json --aws (the report it prints) and sluice approvals --aws', async () => {
    const report = await awsStatusReport({
      tableName: table,
      catalogFile,
      periodMs: 86_400_000,
      client: DynamoDBDocumentClient.from(dynamo.client),
    });
    const printed = JSON.stringify(report, null, 2);
    expect(printed).toContain('greeter-1');
    expectNoToken(printed);
    const approvals = JSON.stringify(await listApprovalsWithAudit(ledger, catalog));
    expect(approvals).toContain('approval-0001');
    expectNoToken(approvals);
  });
});
