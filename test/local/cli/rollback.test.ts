/**
 * `sluice rollback`: the command line as a user runs it (refusals, no runtime), and the --aws path with the
 * real SDK clients under aws-sdk-client-mock: the exact Lambda, CodeDeploy and DynamoDB commands.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { rollbackOnAws } from '../../../local/cli/rollback-aws';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'sluice.js');
const CATALOG = join(REPO_ROOT, 'sluice.catalog.json');
const dir = mkdtempSync(join(tmpdir(), 'sluice-rollback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sluice(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: REPO_ROOT, timeout: 20_000 },
      (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

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

const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
const ddb = mockClient(DynamoDBDocumentClient);
const clients = () => ({
  lambda: new LambdaClient({}),
  codeDeploy: new CodeDeployClient({}),
  dynamo: new DynamoDBClient({}),
});
const commit = { sha: 'c1', author: 'a', message: 'm', time: '2026-01-01T00:00:00Z' };
const released = (id: string, version: string, status = 'succeeded') => ({
  releaseId: id,
  service: 'checkout',
  status,
  version,
  commit,
  stages: {},
});

describe('sluice rollback --aws', () => {
  beforeEach(() => {
    lambda.reset();
    codeDeploy.reset();
    ddb.reset();
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ROLLBACK1' });
    ddb.on(UpdateCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [released('checkout-new', '7'), released('checkout-old', '5')] });
  });

  it('redeploys the last known-good version all at once through CodeDeploy, recorded with who and why', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...released('checkout-rollback', '5', 'running'), rollback: {} } });
    const record = await rollbackOnAws(
      { service: 'checkout', reason: 'bad prices', requestedBy: 'oncall@example.com' },
      { tableName: 'ledger', catalogFile: CATALOG, waitMs: 0, clients: clients() },
    );
    expect(record.status).toBe('running');
    const [lock] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(lock).toMatchObject({
      Key: { PK: 'SERVICE#checkout', SK: 'STATE' },
      ConditionExpression: 'attribute_not_exists(lockHolder)',
    });
    const [create] = codeDeploy.commandCalls(CreateDeploymentCommand);
    expect(create.args[0].input).toMatchObject({
      applicationName: 'sluice-checkout',
      deploymentGroupName: 'sluice-checkout',
      deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
      overrideAlarmConfiguration: { enabled: false },
    });
    const appSpec = JSON.parse(create.args[0].input.revision?.appSpecContent?.content ?? '{}');
    expect(appSpec.Resources[0]['sluice-checkout'].Properties).toMatchObject({
      CurrentVersion: '7',
      TargetVersion: '5',
    });
    const who = ddb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues ?? {})
      .flatMap((v) => Object.values(v))
      .find((v) => typeof v === 'object' && v !== null && 'requestedBy' in v);
    expect(who).toEqual({
      requestedBy: 'oncall@example.com',
      reason: 'bad prices',
      toReleaseId: 'checkout-old',
      fromVersion: '7',
      toVersion: '5',
    });
  });

  it('refuses, changing nothing, while another deployment holds the lock, or for a release never deployed', async () => {
    const conflict = Object.assign(new Error('held'), { name: 'ConditionalCheckFailedException' });
    ddb.on(UpdateCommand, { ConditionExpression: 'attribute_not_exists(lockHolder)' }).rejects(conflict);
    ddb
      .on(GetCommand, { Key: { PK: 'SERVICE#checkout', SK: 'STATE' } })
      .resolves({ Item: { lockHolder: 'checkout-busy' } });
    await expect(
      rollbackOnAws(
        { service: 'checkout', reason: 'x', requestedBy: 'a@example.com' },
        { tableName: 'ledger', catalogFile: CATALOG, waitMs: 0, clients: clients() },
      ),
    ).rejects.toThrow(/production deployment in progress \(release checkout-busy\)/);
    ddb.on(GetCommand, { Key: { PK: 'RELEASE#checkout-failed', SK: 'RELEASE' } }).resolves({
      Item: { ...released('checkout-failed', '6', 'failed'), outcome: { status: 'failed', stage: 'Test' } },
    });
    await expect(
      rollbackOnAws(
        { service: 'checkout', toReleaseId: 'checkout-failed', reason: 'x', requestedBy: 'a@example.com' },
        { tableName: 'ledger', catalogFile: CATALOG, waitMs: 0, clients: clients() },
      ),
    ).rejects.toThrow(/never deployed to production \(it ended failed at Test\)/);
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
