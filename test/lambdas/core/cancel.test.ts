import { describe, expect, it } from 'vitest';
import { closedMessage, REFUSAL_STATUS } from '../../../lambdas/core/approval-decision';
import { CancelRefusedError, cancelledOutcome, planCancel } from '../../../lambdas/core/cancel';
import type { ReleaseStatus } from '../../../lambdas/core/model';
import { stageInFlight } from '../../../lambdas/execution-events/execution-events';
import type {
  ApprovalRecord,
  Cancellation,
  QueuedDeployment,
  ReleaseRecord,
} from '../../../lambdas/ledger/ledger';

const at = '2026-11-01T00:00:00.000Z';

const release = (status: ReleaseStatus, extra: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  releaseId: 'svc-aaaaaaaaaaaa',
  service: 'svc',
  mode: 'delivery',
  commit: { sha: 'a'.repeat(40), author: 'dev', message: 'm', time: at },
  startedAt: at,
  trigger: { source: 'github' },
  status,
  stages: {},
  ...extra,
});

const approval = { approvalId: 'ap-1', releaseId: 'svc-aaaaaaaaaaaa', status: 'pending' } as ApprovalRecord;
const queued = { releaseId: 'svc-aaaaaaaaaaaa', taskToken: 't' } as QueuedDeployment;
const cancellation: Cancellation = {
  requestedBy: 'dana@example.com',
  reason: 'wrong commit',
  at,
  action: 'gate',
};

describe('planCancel: what cancelling means for a release now', () => {
  it('ends a pending approval at the gate, leaves the queue, stops a running deployment, else stops the execution', () => {
    const running = release('running');
    expect(planCancel('r', { record: running, pendingApproval: approval })).toEqual({
      action: 'gate',
      approval,
    });
    expect(planCancel('r', { record: running, queued })).toEqual({ action: 'queue', queued });
    expect(
      planCancel('r', {
        record: running,
        deployment: { deploymentId: 'd-1', status: 'InProgress', rolledBack: false },
      }),
    ).toEqual({ action: 'deployment', deploymentId: 'd-1' });
    expect(planCancel('r', { record: running })).toEqual({ action: 'execution' });
  });

  it('refuses an unknown release, an ended one (naming how it ended and what to do), and one being cancelled', () => {
    expect(() => planCancel('svc-000000000000', { record: undefined })).toThrow(
      /Release svc-000000000000 is not in the ledger; `sluice status` lists them\./,
    );
    const succeeded = release('succeeded', {
      outcome: { status: 'succeeded', stage: 'Deploy', endedAt: at },
    });
    expect(() => planCancel('r', { record: succeeded })).toThrow(
      'Release r cannot be cancelled: it has already ended succeeded at Deploy. Nothing changed; to take its version out of production, `sluice rollback` the service.',
    );
    expect(() => planCancel('r', { record: release('rejected') })).toThrow(
      /^Release r cannot be cancelled: it has already ended rejected\. Nothing changed\.$/,
    );
    expect(() => planCancel('r', { record: release('running', { cancellation }) })).toThrow(
      /is being cancelled already \(by dana@example.com at 2026-11-01T00:00:00.000Z\)/,
    );
    expect(() => planCancel('r', { record: release('cancelled') })).toThrow(CancelRefusedError);
  });

  it('refuses a release whose deployment has ended while Record writes its outcome', () => {
    const running = release('running');
    expect(() =>
      planCancel('r', {
        record: running,
        deployment: { deploymentId: 'd-1', status: 'Succeeded', rolledBack: false },
      }),
    ).toThrow(/has succeeded .* `sluice rollback` the service/);
    expect(() =>
      planCancel('r', {
        record: running,
        deployment: { deploymentId: 'd-1', status: 'Stopped', rolledBack: true },
      }),
    ).toThrow(/has ended \(Stopped\)/);
  });
});

describe('cancelledOutcome', () => {
  const outcome = (status: ReleaseStatus) => ({ status, stage: 'Deploy' as const, alarm: 'a', endedAt: at });
  it('records a cancelled release as cancelled with who and why, however its stop arrived', () => {
    for (const status of ['rolled_back', 'aborted', 'failed', 'expired'] as const) {
      expect(cancelledOutcome(outcome(status), cancellation)).toEqual({
        status: 'cancelled',
        stage: 'Deploy',
        reason: 'Cancelled by dana@example.com: wrong commit',
        endedAt: at,
      });
    }
  });
  it('keeps an outcome the release reached on its own first, and any outcome without a cancellation', () => {
    expect(cancelledOutcome(outcome('succeeded'), cancellation).status).toBe('succeeded');
    expect(cancelledOutcome(outcome('rejected'), cancellation).status).toBe('rejected');
    expect(cancelledOutcome(outcome('aborted'), undefined)).toEqual(outcome('aborted'));
  });
});

describe('stageInFlight', () => {
  it('is Deploy once a deployment started, and skips the gate a deployment-mode release never passes', () => {
    const stages = {
      LoadService: { status: 'succeeded', startedAt: at, endedAt: at, durationMs: 1 },
      Build: { status: 'succeeded', startedAt: at, endedAt: at, durationMs: 1 },
      Test: { status: 'succeeded', startedAt: at, endedAt: at, durationMs: 1 },
      Stage: { status: 'succeeded', startedAt: at, endedAt: at, durationMs: 1 },
    } as const;
    expect(stageInFlight({ stages, mode: 'delivery' })).toBe('Approval');
    expect(stageInFlight({ stages, mode: 'deployment' })).toBe('Deploy');
    expect(stageInFlight({ stages, mode: 'delivery', deploymentId: 'd-1' })).toBe('Deploy');
    expect(stageInFlight({ stages: {}, mode: 'delivery' })).toBe('LoadService');
  });
});

describe('a cancelled approval takes no more decisions (the page, Slack and the CLI all ask closedMessage)', () => {
  it('says who cancelled it and why, as a 410 refusal', () => {
    const closed = closedMessage({
      ...approval,
      status: 'cancelled',
      decidedBy: 'dana@example.com',
      comment: 'wrong commit',
    });
    expect(closed).toEqual({
      code: 'cancelled',
      message: 'This release was cancelled by dana@example.com: wrong commit; it takes no more decisions.',
    });
    expect(REFUSAL_STATUS.cancelled).toBe(410);
  });
});
