import { describe, expect, it } from 'vitest';
import { decideOutcome, failureReason, type RecordInput } from '../../../lambdas/record/record';

const at = new Date('2026-02-03T04:05:06Z');
const base: RecordInput = { releaseId: 'svc-abc', service: 'svc', trigger: { source: 'manual' } };

describe('decideOutcome', () => {
  it('is succeeded at Deploy when nothing failed and nobody rejected', () => {
    expect(decideOutcome(base, at)).toEqual({
      status: 'succeeded',
      stage: 'Deploy',
      endedAt: at.toISOString(),
    });
  });

  it('names the failed stage and the reason from a Lambda error cause', () => {
    const outcome = decideOutcome(
      {
        ...base,
        failure: {
          Error: 'TestsFailedError',
          Cause: JSON.stringify({ errorType: 'TestsFailedError', errorMessage: '1 of 3 tests failed: adds' }),
        },
        failedStage: { stage: 'Test' },
      },
      at,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      stage: 'Test',
      reason: 'TestsFailedError: 1 of 3 tests failed: adds',
    });
  });

  it('is rolled back when the deployment failed with DeploymentRolledBack', () => {
    const outcome = decideOutcome(
      {
        ...base,
        failure: { Error: 'DeploymentRolledBack', Cause: 'Alarm sluice-svc-error-rate fired' },
        failedStage: { stage: 'Deploy' },
      },
      at,
    );
    expect(outcome).toMatchObject({
      status: 'rolled_back',
      stage: 'Deploy',
      reason: 'DeploymentRolledBack: Alarm sluice-svc-error-rate fired',
    });
  });

  it('is cancelled when `sluice cancel` failed the task with ReleaseCancelled, with its cause as the reason', () => {
    const outcome = decideOutcome(
      {
        ...base,
        failure: { Error: 'ReleaseCancelled', Cause: 'Cancelled by dana@example.com: wrong commit' },
        failedStage: { stage: 'Deploy' },
      },
      at,
    );
    expect(outcome).toEqual({
      status: 'cancelled',
      stage: 'Deploy',
      reason: 'Cancelled by dana@example.com: wrong commit',
      endedAt: at.toISOString(),
    });
  });

  it('is rejected at Approval with who and why', () => {
    const outcome = decideOutcome(
      {
        ...base,
        approval: {
          approvalId: 'a',
          decision: 'rejected',
          decidedBy: 'bob@example.com',
          comment: 'not today',
          decidedAt: at.toISOString(),
        },
      },
      at,
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      stage: 'Approval',
      reason: 'Rejected by bob@example.com: not today',
    });
  });
});

describe('failureReason', () => {
  it('reads errorMessage from JSON causes and passes plain causes through', () => {
    expect(failureReason({ Error: 'X', Cause: '{"errorMessage":"boom"}' })).toBe('boom');
    expect(failureReason({ Error: 'X', Cause: 'plain words' })).toBe('plain words');
    expect(failureReason({ Error: 'States.Timeout' })).toBe('States.Timeout');
  });
});

describe('decideOutcome for continuous deployment', () => {
  it('is blocked when preflight refused, naming the alarm', () => {
    const outcome = decideOutcome(
      {
        ...base,
        failure: {
          Error: 'PreflightBlocked',
          Cause: JSON.stringify({
            errorType: 'PreflightBlocked',
            errorMessage: 'Preflight: sluice-svc-business is in ALARM for svc; nothing was deployed.',
          }),
        },
        failedStage: { stage: 'Deploy' },
      },
      at,
    );
    expect(outcome).toMatchObject({ status: 'blocked', stage: 'Deploy', alarm: 'sluice-svc-business' });
  });

  it('records the alarm deployment-events names in its JSON cause', () => {
    const outcome = decideOutcome(
      {
        ...base,
        failure: {
          Error: 'DeploymentRolledBack',
          Cause: JSON.stringify({ errorMessage: 'stopped and rolled back', alarm: 'sluice-svc-p99-latency' }),
        },
        failedStage: { stage: 'Deploy' },
      },
      at,
    );
    expect(outcome).toMatchObject({
      status: 'rolled_back',
      reason: 'DeploymentRolledBack: stopped and rolled back',
      alarm: 'sluice-svc-p99-latency',
    });
  });
});
