/**
 * `sluice retry --aws`: the ledger in DynamoDB Local, Step Functions and STS under aws-sdk-client-mock (the exact
 * StartExecution of attempt n+1, and who it is recorded as).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { runCli } from '../../../local/cli/dispatch';
import { retryOnAws } from '../../../local/cli/retry-aws';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:sluice-release';
const DANA_SESSION = 'arn:aws:sts::123456789012:assumed-role/Dev/dana';
const dir = testTempDir('retry-aws-');
const catalogFile = join(dir, 'sluice.catalog.json');
writeFileSync(
  catalogFile,
  JSON.stringify({
    version: 1,
    services: [
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
        approval: {
          approvers: ['dana@example.com'],
          identities: { 'dana@example.com': { iamPrincipals: ['arn:aws:iam::123456789012:role/Dev'] } },
        },
      },
    ],
  }),
);

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
let db: TestLedger;
beforeAll(async () => {
  db = await startTestLedger();
}, 120_000);
afterAll(async () => {
  sfn.restore();
  sts.restore();
  await db?.stop();
});

let table: string;
let ledger: Ledger;
beforeEach(async () => {
  sfn.reset();
  sts.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x` });
  sts.on(GetCallerIdentityCommand).resolves({ Arn: DANA_SESSION });
  table = await db.newTable();
  ledger = Ledger.forTable(db.client, table);
});

const sha = 'f'.repeat(40);
async function recorded(releaseId: string, status: 'failed' | 'rejected') {
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'deployment',
    commit: { sha, author: 'a', message: 'm', time: '2026-01-01T00:00:00Z' },
    startedAt: '2026-01-01T00:00:00.000Z',
    trigger: { source: 'manual' },
  });
  await ledger.finishRelease(releaseId, 'checkout', {
    status,
    stage: status === 'failed' ? 'Test' : 'Approval',
    endedAt: '2026-01-01T00:10:00.000Z',
  });
}

const options = () => ({
  tableName: table,
  stateMachineArn: STATE_MACHINE,
  catalogFile,
  clients: { dynamo: db.client, sfn: new SFNClient({}), sts: new STSClient({}) },
});

describe('sluice retry --aws', () => {
  it('starts attempt 2 with StartExecution, recorded as who the credentials prove', async () => {
    await recorded('checkout-ffffffffffff', 'failed');
    const started = await retryOnAws(
      { releaseId: 'checkout-ffffffffffff', reason: 'throttled API', as: 'Dana@example.com' },
      options(),
    );
    expect(started).toEqual({
      releaseId: 'checkout-ffffffffffff',
      service: 'checkout',
      attempt: 2,
      execution: 'checkout-ffffffffffff-a02',
      requestedBy: 'dana@example.com',
    });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({ stateMachineArn: STATE_MACHINE, name: 'checkout-ffffffffffff-a02' });
    expect(JSON.parse(input?.input ?? '{}')).toEqual({
      releaseId: 'checkout-ffffffffffff',
      service: 'checkout',
      commit: sha,
      attempt: 2,
      retry: { requestedBy: 'dana@example.com', reason: 'throttled API' },
      trigger: { source: 'manual', actor: 'dana@example.com' },
    });
  });

  it('records the principal ARN when the catalog maps it to no one', async () => {
    await recorded('checkout-ffffffffffff', 'failed');
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/ci' });
    const started = await retryOnAws({ releaseId: 'checkout-ffffffffffff', reason: 'x' }, options());
    expect(started.requestedBy).toBe('arn:aws:iam::123456789012:user/ci');
  });

  it('refuses, starting nothing: --as that is not the caller, a rejected release, an unknown one', async () => {
    await recorded('checkout-ffffffffffff', 'failed');
    await recorded('checkout-eeeeeeeeeeee', 'rejected');
    await expect(
      retryOnAws({ releaseId: 'checkout-ffffffffffff', reason: 'x', as: 'eve@example.com' }, options()),
    ).rejects.toThrow(/--as eve@example.com does not match who your AWS credentials are/);
    await expect(retryOnAws({ releaseId: 'checkout-eeeeeeeeeeee', reason: 'x' }, options())).rejects.toThrow(
      /cannot be retried: a person rejected it/,
    );
    await expect(retryOnAws({ releaseId: 'checkout-000000000000', reason: 'x' }, options())).rejects.toThrow(
      /is not in the ledger/,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect((await ledger.getRelease('checkout-ffffffffffff'))?.attempt ?? 1).toBe(1);
  });

  it('needs --table and --state-machine-arn with --aws (exit 2)', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['retry', 'checkout-x', '--reason', 'x', '--aws', '--table', 't'])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(
        /--aws needs --table NAME and --state-machine-arn ARN/,
      );
    } finally {
      err.mockRestore();
    }
  });
});
