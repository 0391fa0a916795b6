import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, REFUSAL_STATUS } from '../../../lambdas/core/approval-decision';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import type { ServiceConfig } from '../../../lambdas/core/model';
import type { DeploymentDescription, DeployTarget } from '../../../lambdas/core/ports';
import {
  type ExecutionEventsPorts,
  type ExecutionStatusChange,
  onExecutionStatusChange,
  releaseIdOf,
} from '../../../lambdas/execution-events/execution-events';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { PinnableClock } from '../../support/clock';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let dynamo: TestLedger;
beforeAll(async () => {
  dynamo = await startTestLedger();
});
afterAll(async () => dynamo?.stop());

const parsed = parseCatalog({
  version: 1,
  services: [
    { name: 'svc', mode: 'deployment', source: { repository: 'svc' }, runtime: { entry: 'src/handler.ts' } },
  ],
});
if (!parsed.ok) throw new Error('the test catalog is invalid');
const config = parsed.catalog.services[0] as ServiceConfig;

const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:SluicePipeline-Release';
const at = '2026-03-02T10:00:00.000Z';

function event(
  status: string,
  name: string,
  extra: { input?: unknown; error?: string; cause?: string } = {},
): ExecutionStatusChange {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111111111111',
    time: '2026-03-02T10:05:00Z',
    region: 'us-east-1',
    resources: [`${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`],
    detail: {
      executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: MACHINE,
      name,
      status,
      input: JSON.stringify(extra.input ?? { releaseId: name, service: 'svc' }),
      error: extra.error ?? null,
      cause: extra.cause ?? null,
    },
  };
}

/** The deploy target calls this handler makes, recorded; deployments are as `deployments` says. */
class RecordingDeployTarget {
  readonly stopped: { deploymentId: string; reason: string }[] = [];
  constructor(
    private readonly deployments: Record<string, DeploymentDescription['status']> = {},
    private readonly live?: string,
  ) {}
  async describeDeployment(deploymentId: string): Promise<DeploymentDescription> {
    const status = this.deployments[deploymentId];
    if (!status) throw new Error(`unknown deployment ${deploymentId}`);
    return { deploymentId, status, rolledBack: false };
  }
  async stopDeployment(deploymentId: string, reason: string): Promise<void> {
    this.stopped.push({ deploymentId, reason });
  }
  async liveVersion(): Promise<string | undefined> {
    return this.live;
  }
}

interface Harness {
  readonly ledger: Ledger;
  readonly ports: ExecutionEventsPorts;
  readonly target: RecordingDeployTarget;
  readonly resumed: { token: string; output: unknown }[];
}

async function harness(target = new RecordingDeployTarget()): Promise<Harness> {
  const ledger = await dynamo.newLedger();
  const clock = new PinnableClock();
  clock.pin(new Date('2026-03-02T10:05:00.000Z'));
  const resumed: { token: string; output: unknown }[] = [];
  const ports: ExecutionEventsPorts = {
    ledger,
    clock,
    deployTarget: target as unknown as DeployTarget,
    alarms: { inAlarm: async () => [], judge: async () => undefined },
    tasks: {
      succeed: async (token, output) => {
        resumed.push({ token, output });
      },
      fail: async () => {
        throw new Error('no task is failed in these tests');
      },
    },
  };
  return { ledger, ports, target, resumed };
}

async function startRelease(ledger: Ledger, releaseId: string): Promise<void> {
  await ledger.startRelease({
    releaseId,
    service: 'svc',
    mode: 'deployment',
    commit: { sha: 'a'.repeat(40), author: 'dana@example.com', message: 'change', time: at },
    startedAt: at,
    trigger: { source: 'manual' },
  });
}

describe('execution-events: an execution that ended FAILED, TIMED_OUT or ABORTED', () => {
  it('records a stopped release as aborted at the stage it was in, and frees the production lock', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    await ledger.recordStage('svc-aaaaaaaaaaaa', 'LoadService', {
      status: 'succeeded',
      startedAt: at,
      endedAt: at,
      durationMs: 0,
    });
    await ledger.tryDeployLock('svc', 'svc-aaaaaaaaaaaa', at);

    const outcome = await onExecutionStatusChange(event('ABORTED', 'svc-aaaaaaaaaaaa'), ports);

    expect(outcome).toBe('recorded');
    const record = await ledger.getRelease('svc-aaaaaaaaaaaa');
    expect(record?.status).toBe('aborted');
    expect(record?.outcome).toMatchObject({
      status: 'aborted',
      stage: 'Build',
      endedAt: '2026-03-02T10:05:00.000Z',
    });
    expect(record?.outcome?.reason).toMatch(/stopped before its outcome was recorded/);
    expect((await ledger.getServiceState('svc'))?.lockHolder).toBeUndefined();
  });

  it('records a timeout as timed_out and a Record failure as failed, with the error and cause', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-bbbbbbbbbbbb');
    await startRelease(ledger, 'svc-cccccccccccc');

    await onExecutionStatusChange(event('TIMED_OUT', 'svc-bbbbbbbbbbbb'), ports);
    await onExecutionStatusChange(
      event('FAILED', 'svc-cccccccccccc', {
        error: 'RecordFailed',
        cause: 'Record failed after its retries',
      }),
      ports,
    );

    expect((await ledger.getRelease('svc-bbbbbbbbbbbb'))?.outcome?.status).toBe('timed_out');
    const failed = await ledger.getRelease('svc-cccccccccccc');
    expect(failed?.outcome?.status).toBe('failed');
    expect(failed?.outcome?.reason).toContain('RecordFailed: Record failed after its retries');
  });

  it('hands the lock to the oldest queued release, whose deployment starts (here: already live, resumed at once)', async () => {
    const { ledger, ports, resumed } = await harness(new RecordingDeployTarget({}, '7'));
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    await startRelease(ledger, 'svc-bbbbbbbbbbbb');
    await ledger.tryDeployLock('svc', 'svc-aaaaaaaaaaaa', at);
    const waiter = {
      releaseId: 'svc-bbbbbbbbbbbb',
      taskToken: 'token-b',
      config,
      version: '7',
      queuedAt: at,
    };
    expect(await ledger.acquireDeployLock('svc', waiter)).toBe('queued');

    await onExecutionStatusChange(event('ABORTED', 'svc-aaaaaaaaaaaa'), ports);

    const state = await ledger.getServiceState('svc');
    expect(state?.lockHolder).toBe('svc-bbbbbbbbbbbb');
    expect(state?.deployQueue ?? []).toEqual([]);
    expect(resumed).toEqual([
      { token: 'token-b', output: expect.objectContaining({ deploymentId: 'none', toVersion: '7' }) },
    ]);
  });

  it('takes a stopped release out of the lock queue', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    await startRelease(ledger, 'svc-bbbbbbbbbbbb');
    await ledger.tryDeployLock('svc', 'svc-aaaaaaaaaaaa', at);
    const waiter = {
      releaseId: 'svc-bbbbbbbbbbbb',
      taskToken: 'token-b',
      config,
      version: '7',
      queuedAt: at,
    };
    await ledger.acquireDeployLock('svc', waiter);

    await onExecutionStatusChange(event('ABORTED', 'svc-bbbbbbbbbbbb'), ports);

    const state = await ledger.getServiceState('svc');
    expect(state?.lockHolder).toBe('svc-aaaaaaaaaaaa');
    expect(state?.deployQueue ?? []).toEqual([]);
  });

  it('stops a deployment still running, with rollback, and leaves one that ended alone', async () => {
    const target = new RecordingDeployTarget({ 'd-RUNNING': 'InProgress', 'd-ENDED': 'Succeeded' });
    const { ledger, ports } = await harness(target);
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    await ledger.updateRelease('svc-aaaaaaaaaaaa', { deploymentId: 'd-RUNNING', deployTaskToken: 'token-a' });
    await startRelease(ledger, 'svc-bbbbbbbbbbbb');
    await ledger.updateRelease('svc-bbbbbbbbbbbb', { deploymentId: 'd-ENDED' });
    await ledger.tryDeployLock('svc', 'svc-aaaaaaaaaaaa', at);

    await onExecutionStatusChange(event('ABORTED', 'svc-aaaaaaaaaaaa'), ports);
    await onExecutionStatusChange(event('ABORTED', 'svc-bbbbbbbbbbbb'), ports);

    expect(target.stopped).toEqual([
      { deploymentId: 'd-RUNNING', reason: "the release's execution ended ABORTED while the deployment ran" },
    ]);
    // The Deploy task token is gone, so the stopped deployment's own event resumes nothing.
    expect((await ledger.getRelease('svc-aaaaaaaaaaaa'))?.deployTaskToken).toBeUndefined();
    // The lock stays with it while the deployment rolls back: its end event hands it over (deployment-events).
    expect((await ledger.getServiceState('svc'))?.lockHolder).toBe('svc-aaaaaaaaaaaa');
  });

  it('records a release stopped by `sluice cancel` as cancelled, with who and why', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    await ledger.requestCancel('svc-aaaaaaaaaaaa', {
      requestedBy: 'dana@example.com',
      reason: 'wrong commit',
      at,
      action: 'execution',
    });

    const cause = 'Cancelled by dana@example.com: wrong commit';
    await onExecutionStatusChange(
      event('ABORTED', 'svc-aaaaaaaaaaaa', { error: 'ReleaseCancelled', cause }),
      ports,
    );

    expect((await ledger.getRelease('svc-aaaaaaaaaaaa'))?.outcome).toEqual({
      status: 'cancelled',
      stage: 'LoadService',
      reason: cause,
      endedAt: '2026-03-02T10:05:00.000Z',
    });
  });

  it('leaves an outcome Record wrote as it is (a release that ended in NotReleased also ends FAILED)', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');
    const rejected = { status: 'rejected' as const, stage: 'Approval' as const, reason: 'no', endedAt: at };
    await ledger.finishRelease('svc-aaaaaaaaaaaa', 'svc', rejected);

    const outcome = await onExecutionStatusChange(
      event('FAILED', 'svc-aaaaaaaaaaaa', { error: 'ReleaseNotDeployed' }),
      ports,
    );

    expect(outcome).toBe('already-recorded');
    expect((await ledger.getRelease('svc-aaaaaaaaaaaa'))?.outcome).toEqual(rejected);
  });

  it('ignores other statuses, unknown releases and events without a detail, and changes nothing', async () => {
    const { ledger, ports } = await harness();
    await startRelease(ledger, 'svc-aaaaaaaaaaaa');

    expect(await onExecutionStatusChange(event('RUNNING', 'svc-aaaaaaaaaaaa'), ports)).toBe('ignored');
    expect(await onExecutionStatusChange(event('SUCCEEDED', 'svc-aaaaaaaaaaaa'), ports)).toBe('ignored');
    expect(await onExecutionStatusChange(event('ABORTED', 'svc-unknown0000'), ports)).toBe('ignored');
    expect(
      await onExecutionStatusChange({ ...event('ABORTED', 'x'), detail: undefined } as never, ports),
    ).toBe('ignored');
    expect((await ledger.getRelease('svc-aaaaaaaaaaaa'))?.status).toBe('running');
  });

  it('ends the pending approval of a release that timed out at the gate as aborted: its links say so and take no decision', async () => {
    const { ledger, ports } = await harness();
    await ledger.startRelease({
      releaseId: 'svc-gate00000000',
      service: 'svc',
      mode: 'delivery',
      commit: { sha: 'g'.repeat(40), author: 'dana@example.com', message: 'change', time: at },
      startedAt: at,
      trigger: { source: 'manual' },
    });
    const request = (approvalId: string, releaseId: string) =>
      ledger.putApproval({
        approvalId,
        releaseId,
        service: 'svc',
        approvers: ['alice@example.com'],
        required: 1,
        status: 'pending',
        requestedAt: at,
        expiresAt: '2026-03-05T10:00:00.000Z',
        taskToken: `token-${approvalId}`,
        details: [],
      });
    for (const stage of ['LoadService', 'Build', 'Test', 'Stage'] as const) {
      await ledger.recordStage('svc-gate00000000', stage, {
        status: 'succeeded',
        startedAt: at,
        endedAt: at,
        durationMs: 0,
      });
    }
    await request('a-gate', 'svc-gate00000000');
    await request('a-other', 'svc-other0000000');

    expect(await onExecutionStatusChange(event('TIMED_OUT', 'svc-gate00000000'), ports)).toBe('recorded');

    const record = await ledger.getRelease('svc-gate00000000');
    expect(record?.outcome).toMatchObject({ status: 'timed_out', stage: 'Approval' });
    const approval = await ledger.getApproval('a-gate');
    expect(approval).toMatchObject({
      status: 'aborted',
      decidedBy: 'sluice',
      decidedAt: '2026-03-02T10:05:00.000Z',
      comment: record?.outcome?.reason,
    });
    expect((await ledger.listAudit('a-gate')).map((a) => [a.kind, a.detail])).toEqual([
      ['aborted', record?.outcome?.reason],
    ]);
    // Another release's request is not this release's to end.
    expect((await ledger.getApproval('a-other'))?.status).toBe('pending');
    // Its link takes no decision any more, and says why (the approval page and Slack show this message).
    const refused = await decide(
      { approvalId: 'a-gate', approver: 'alice@example.com', decision: 'approve', channel: 'email' },
      ports,
    );
    expect(refused).toMatchObject({ ok: false, code: 'aborted' });
    expect(REFUSAL_STATUS.aborted).toBe(410);
    expect(refused.message).toBe(
      'This release ended before a decision (The execution timed out before its outcome was recorded); it was ' +
        'not deployed, and this request takes no more decisions.',
    );
    // A redelivered event changes nothing more.
    expect(await onExecutionStatusChange(event('TIMED_OUT', 'svc-gate00000000'), ports)).toBe(
      'already-recorded',
    );
    expect(await ledger.listAudit('a-gate')).toHaveLength(1);
  });

  it('names the stage a deployment-mode release was in: never Approval, which it has not; Deploy once it deploys', async () => {
    const { ledger, ports } = await harness(new RecordingDeployTarget({ 'd-1': 'Succeeded' }));
    for (const id of ['svc-queued000000', 'svc-deploying000']) {
      await startRelease(ledger, id);
      for (const stage of ['LoadService', 'Build', 'Test', 'Stage'] as const) {
        await ledger.recordStage(id, stage, {
          status: 'succeeded',
          startedAt: at,
          endedAt: at,
          durationMs: 0,
        });
      }
    }
    await ledger.updateRelease('svc-deploying000', { deploymentId: 'd-1' });

    await onExecutionStatusChange(event('ABORTED', 'svc-queued000000'), ports);
    await onExecutionStatusChange(event('ABORTED', 'svc-deploying000'), ports);

    expect((await ledger.getRelease('svc-queued000000'))?.outcome?.stage).toBe('Deploy');
    expect((await ledger.getRelease('svc-deploying000'))?.outcome?.stage).toBe('Deploy');
  });

  it('reads the release id from the execution input, and from the name when the input was left out', () => {
    const withInput = event('ABORTED', 'svc-aaaaaaaaaaaa-a2', { input: { releaseId: 'svc-aaaaaaaaaaaa' } });
    expect(releaseIdOf(withInput.detail)).toBe('svc-aaaaaaaaaaaa');
    expect(releaseIdOf({ ...withInput.detail, input: null })).toBe('svc-aaaaaaaaaaaa-a2');
  });
});
