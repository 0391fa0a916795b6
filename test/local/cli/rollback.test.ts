/**
 * `sluice rollback`: the command line through the CLI's entry, in-process (refusals, no runtime), and the --aws path: the ledger
 * in DynamoDB Local, Lambda and CodeDeploy under aws-sdk-client-mock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireCatalogFile } from '../../../lambdas/core/catalog/load';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { rollbackOnAws } from '../../../local/cli/rollback-aws';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';
import { REPO_ROOT, sluiceInProcess as sluice } from './run-sluice';

const CATALOG = join(REPO_ROOT, 'sluice.catalog.json');
const dir = testTempDir('rollback-');

describe('sluice rollback (command line)', () => {
  it('requires a service and a reason (exit 2)', async () => {
    expect((await sluice(['rollback', '--reason', 'x'])).stderr).toMatch(/name exactly one service/);
    const run = await sluice(['rollback', 'checkout']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--reason is required/);
  });

  it('says how to start a runtime when none is running, and exits 1', async () => {
    const run = await sluice([
      'rollback',
      'checkout',
      '--reason',
      'bad prices',
      '--as',
      'a@example.com',
      '--state-dir',
      dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /no running local runtime: .*runtime.json is missing\. Start one \(npx sluice local, or npx sluice start --stay\)/s,
    );
  });

  it('names a dead runtime', async () => {
    writeFileSync(
      join(dir, 'runtime.json'),
      JSON.stringify({ url: 'http://127.0.0.1:9', token: 't', pid: 999_999_999 }),
    );
    const run = await sluice([
      'rollback',
      'checkout',
      '--reason',
      'x',
      '--as',
      'a@example.com',
      '--state-dir',
      dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is no longer running/);
  });

  it('needs --table with --aws', async () => {
    const run = await sluice(['rollback', 'checkout', '--reason', 'x', '--as', 'a@example.com', '--aws']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--aws needs --table/);
  });
});

// Lambda and CodeDeploy under aws-sdk-client-mock (their adapter tests check the exact commands); the ledger in a
// real DynamoDB Local.
const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
let db: TestLedger;
beforeAll(async () => {
  db = await startTestLedger();
}, 120_000);
afterAll(async () => {
  lambda.restore();
  codeDeploy.restore();
  await db?.stop();
});

const clients = () => ({
  lambda: new LambdaClient({}),
  codeDeploy: new CodeDeployClient({}),
  dynamo: db.client,
});
const commit = { sha: 'c1', author: 'a', message: 'm', time: '2026-01-01T00:00:00Z' };

/** A checkout release in the ledger that ended `status` at `stage`, with the version it staged. */
async function recorded(
  ledger: Ledger,
  releaseId: string,
  version: string,
  startedAt: string,
  status: 'succeeded' | 'failed' = 'succeeded',
  stage: 'Deploy' | 'Test' = 'Deploy',
) {
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'deployment',
    commit,
    startedAt,
    trigger: { source: 'manual' },
  });
  await ledger.updateRelease(releaseId, { version });
  await ledger.finishRelease(releaseId, 'checkout', { status, stage, endedAt: startedAt });
}

describe('sluice rollback --aws', () => {
  let table: string;
  let ledger: Ledger;
  beforeEach(async () => {
    lambda.reset();
    codeDeploy.reset();
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ROLLBACK1' });
    table = await db.newTable();
    ledger = Ledger.forTable(db.client, table);
    await recorded(ledger, 'checkout-old', '5', '2026-01-01T10:00:00.000Z');
    await recorded(ledger, 'checkout-new', '7', '2026-01-02T10:00:00.000Z');
  });

  it('redeploys the last known-good version all at once through CodeDeploy, recorded with who and why', async () => {
    const record = await rollbackOnAws(
      { service: 'checkout', reason: 'bad prices', requestedBy: 'oncall@example.com' },
      { tableName: table, catalogFile: CATALOG, waitMs: 0, clients: clients() },
    );
    expect(record).toMatchObject({
      service: 'checkout',
      status: 'running',
      version: '5',
      deploymentId: 'd-ROLLBACK1',
      trigger: { source: 'manual', actor: 'oncall@example.com' },
      rollback: {
        requestedBy: 'oncall@example.com',
        reason: 'bad prices',
        toReleaseId: 'checkout-old',
        fromVersion: '7',
        toVersion: '5',
      },
    });
    // It holds the production lock until its deployment ends, and its end event will find it.
    expect((await ledger.getServiceState('checkout'))?.lockHolder).toBe(record.releaseId);
    expect(await ledger.findDeployment('d-ROLLBACK1')).toMatchObject({
      releaseId: record.releaseId,
      fromVersion: '7',
      toVersion: '5',
    });
    const [create] = codeDeploy.commandCalls(CreateDeploymentCommand);
    expect(create?.args[0].input).toMatchObject({
      applicationName: 'sluice-checkout',
      deploymentGroupName: 'sluice-checkout',
      deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
      overrideAlarmConfiguration: { enabled: false },
    });
    const appSpec = JSON.parse(create?.args[0].input.revision?.appSpecContent?.content ?? '{}');
    expect(appSpec.Resources[0]['sluice-checkout'].Properties).toMatchObject({
      CurrentVersion: '7',
      TargetVersion: '5',
    });
  });

  it('refuses, changing nothing, while another deployment holds the lock, or for a release never deployed', async () => {
    const config = requireCatalogFile(CATALOG).services.find((s) => s.name === 'checkout')!;
    await ledger.acquireDeployLock('checkout', {
      releaseId: 'checkout-busy',
      taskToken: 't',
      config,
      version: '8',
      queuedAt: '2026-01-03T10:00:00.000Z',
    });
    await expect(
      rollbackOnAws(
        { service: 'checkout', reason: 'x', requestedBy: 'a@example.com' },
        { tableName: table, catalogFile: CATALOG, waitMs: 0, clients: clients() },
      ),
    ).rejects.toThrow(/production deployment in progress \(release checkout-busy\)/);
    await recorded(ledger, 'checkout-failed', '6', '2026-01-02T12:00:00.000Z', 'failed', 'Test');
    await expect(
      rollbackOnAws(
        { service: 'checkout', toReleaseId: 'checkout-failed', reason: 'x', requestedBy: 'a@example.com' },
        { tableName: table, catalogFile: CATALOG, waitMs: 0, clients: clients() },
      ),
    ).rejects.toThrow(/never deployed to production \(it ended failed at Test\)/);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect((await ledger.listReleases('checkout')).map((r) => r.releaseId).sort()).toEqual([
      'checkout-failed',
      'checkout-new',
      'checkout-old',
    ]);
    expect((await ledger.getServiceState('checkout'))?.lockHolder).toBe('checkout-busy');
  });
});
