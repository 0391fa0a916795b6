/**
 * `sluice cancel --aws`: the ledger in DynamoDB Local; Step Functions, CodeDeploy and STS under
 * aws-sdk-client-mock, asserting the exact commands: SendTaskFailure at the gate and in the queue, StopDeployment
 * with autoRollbackEnabled during a deployment, StopExecution otherwise, and who it is recorded as.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeDeployClient, GetDeploymentCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { SendTaskFailureCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServiceConfig } from '../../../lambdas/core/model';
import { Ledger } from '../../../lambdas/ledger/ledger';
import { cancelOnAws } from '../../../local/cli/cancel-aws';
import { runCli } from '../../../local/cli/dispatch';
import { PinnableClock } from '../../support/clock';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { testTempDir } from '../../support/test-temp-dir';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:sluice-release';
const DANA_SESSION = 'arn:aws:sts::123456789012:assumed-role/Dev/dana';
const RELEASE = 'checkout-ffffffffffff';
const at = '2026-01-01T00:00:00.000Z';
const dir = testTempDir('cancel-aws-');
const catalogFile = join(dir, 'sluice.catalog.json');
writeFileSync(
  catalogFile,
  JSON.stringify({
    version: 1,
    services: [
      {
        name: 'checkout',
        mode: 'delivery',
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
const codeDeploy = mockClient(CodeDeployClient);
let db: TestLedger;
beforeAll(async () => {
  db = await startTestLedger();
}, 120_000);
afterAll(async () => {
  sfn.restore();
  sts.restore();
  codeDeploy.restore();
  await db?.stop();
});

let table: string;
let ledger: Ledger;
const clock = new PinnableClock();
beforeEach(async () => {
  sfn.reset();
  sts.reset();
  codeDeploy.reset();
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(at) });
  sfn.on(SendTaskFailureCommand).resolves({});
  codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  sts.on(GetCallerIdentityCommand).resolves({ Arn: DANA_SESSION });
  clock.pin(new Date('2026-01-01T00:05:00.000Z'));
  table = await db.newTable();
  ledger = Ledger.forTable(db.client, table);
});

async function running(releaseId = RELEASE): Promise<void> {
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'delivery',
    commit: { sha: 'f'.repeat(40), author: 'a', message: 'm', time: at },
    startedAt: at,
    trigger: { source: 'manual' },
  });
}

const options = () => ({
  tableName: table,
  stateMachineArn: STATE_MACHINE,
  catalogFile,
  clock,
  clients: {
    dynamo: db.client,
    sfn: new SFNClient({}),
    sts: new STSClient({}),
    codeDeploy: new CodeDeployClient({}),
  },
});

const CAUSE = 'Cancelled by dana@example.com: wrong commit';

describe('sluice cancel --aws', () => {
  it('anywhere else: StopExecution of the attempt’s execution with ReleaseCancelled, recorded as who the credentials prove', async () => {
    await running();
    const started = await cancelOnAws(
      { releaseId: RELEASE, reason: 'wrong commit', as: 'Dana@example.com' },
      options(),
    );

    expect(started).toMatchObject({
      releaseId: RELEASE,
      service: 'checkout',
      action: 'execution',
      execution: RELEASE,
    });
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:sluice-release:${RELEASE}`,
        error: 'ReleaseCancelled',
        cause: CAUSE,
      },
    ]);
    expect((await ledger.getRelease(RELEASE))?.cancellation).toEqual({
      requestedBy: 'dana@example.com',
      reason: 'wrong commit',
      at: '2026-01-01T00:05:00.000Z',
      action: 'execution',
    });
  });

  it('at the gate: the approval ends as cancelled and its task fails with SendTaskFailure', async () => {
    await running();
    await ledger.putApproval({
      approvalId: 'approval-000001',
      releaseId: RELEASE,
      service: 'checkout',
      approvers: ['dana@example.com'],
      required: 1,
      status: 'pending',
      requestedAt: at,
      expiresAt: '2026-01-04T00:00:00.000Z',
      taskToken: 'approval-token',
      details: [],
    });

    const started = await cancelOnAws({ releaseId: RELEASE, reason: 'wrong commit' }, options());

    expect(started.action).toBe('gate');
    expect(sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'approval-token', error: 'ReleaseCancelled', cause: 'wrong commit' },
    ]);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(await ledger.getApproval('approval-000001')).toMatchObject({
      status: 'cancelled',
      decidedBy: 'dana@example.com',
      comment: 'wrong commit',
    });
  });

  it('during a deployment: CodeDeploy StopDeployment with autoRollbackEnabled', async () => {
    await running();
    await ledger.updateRelease(RELEASE, { deploymentId: 'd-ABCDEFGHI' });
    codeDeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { deploymentId: 'd-ABCDEFGHI', status: 'InProgress' } });

    const started = await cancelOnAws({ releaseId: RELEASE, reason: 'wrong commit' }, options());

    expect(started.action).toBe('deployment');
    expect(codeDeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: 'd-ABCDEFGHI', autoRollbackEnabled: true },
    ]);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('in the queue: it leaves the queue and its Deploy task fails; the holder keeps the lock', async () => {
    await running('checkout-aaaaaaaaaaaa');
    await running();
    await ledger.tryDeployLock('checkout', 'checkout-aaaaaaaaaaaa', at);
    const waiter = {
      releaseId: RELEASE,
      taskToken: 'deploy-token',
      config: {} as ServiceConfig,
      version: '3',
      queuedAt: at,
    };
    expect(await ledger.acquireDeployLock('checkout', waiter)).toBe('queued');

    const started = await cancelOnAws({ releaseId: RELEASE, reason: 'wrong commit' }, options());

    expect(started.action).toBe('queue');
    expect(sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'deploy-token', error: 'ReleaseCancelled', cause: CAUSE },
    ]);
    const state = await ledger.getServiceState('checkout');
    expect(state?.lockHolder).toBe('checkout-aaaaaaaaaaaa');
    expect(state?.deployQueue ?? []).toEqual([]);
  });

  it('refuses, calling nothing and changing nothing: --as that is not the caller, an ended release, an unknown one', async () => {
    await running();
    await running('checkout-eeeeeeeeeeee');
    await ledger.finishRelease('checkout-eeeeeeeeeeee', 'checkout', {
      status: 'failed',
      stage: 'Test',
      endedAt: at,
    });

    await expect(
      cancelOnAws({ releaseId: RELEASE, reason: 'x', as: 'eve@example.com' }, options()),
    ).rejects.toThrow(
      /--as eve@example.com does not match who your AWS credentials are .*; nothing changed\./,
    );
    await expect(cancelOnAws({ releaseId: 'checkout-eeeeeeeeeeee', reason: 'x' }, options())).rejects.toThrow(
      /cannot be cancelled: it has already ended failed at Test\. Nothing changed/,
    );
    await expect(cancelOnAws({ releaseId: 'checkout-000000000000', reason: 'x' }, options())).rejects.toThrow(
      /is not in the ledger/,
    );
    expect(sfn.calls()).toHaveLength(0);
    expect(codeDeploy.calls()).toHaveLength(0);
    expect((await ledger.getRelease(RELEASE))?.cancellation).toBeUndefined();
  });

  it('needs --table and --state-machine-arn with --aws (exit 2), and a reason (exit 1)', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['cancel', RELEASE, '--reason', 'x', '--aws', '--table', 't'])).toBe(2);
      expect(
        await runCli(['cancel', RELEASE, '--aws', '--table', 't', '--state-machine-arn', STATE_MACHINE]),
      ).toBe(1);
      const printed = err.mock.calls.map((c) => String(c[0])).join('');
      expect(printed).toMatch(/--aws needs --table NAME and --state-machine-arn ARN/);
      expect(printed).toMatch(/--reason is required/);
    } finally {
      err.mockRestore();
    }
    expect(sfn.calls()).toHaveLength(0);
  });
});
