import { describe, expect, it } from 'vitest';
import {
  type ApprovalSample,
  approvalBehaviour,
  assessReadiness,
  consecutiveCleanReleases,
  DEFAULT_READINESS_POLICY,
  decideAutoMode,
  shadowVerdictOf,
} from '../../../lambdas/core/readiness';
import type { ReleaseRecord } from '../../../lambdas/ledger/ledger';

const MIN = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

/** Release n of `svc` ends at n hours; a rollback's deploy stage runs 10 minutes. */
function release(
  n: number,
  status: ReleaseRecord['status'],
  mode: 'delivery' | 'deployment' = 'delivery',
): ReleaseRecord {
  const end = n * 60 * MIN;
  return {
    releaseId: `svc-${n}`,
    service: 'svc',
    mode,
    commit: {
      sha: `${n}`.padEnd(40, 'a'),
      author: 'dev@example.com',
      message: `change ${n}`,
      time: at(end - 30 * MIN),
    },
    startedAt: at(end - 20 * MIN),
    trigger: { source: 'manual' },
    status,
    stages: {
      Deploy: { status: 'succeeded', startedAt: at(end - 10 * MIN), endedAt: at(end), durationMs: 10 * MIN },
    },
    outcome: {
      status,
      stage: 'Deploy',
      endedAt: at(end),
      ...(status === 'rolled_back' ? { reason: 'DeploymentRolledBack: alarm sluice-svc-errors' } : {}),
    },
  };
}

const quickApproval = (n: number): ApprovalSample => ({
  status: 'approved',
  requestedAt: at(n * 60 * MIN - 15 * MIN),
  decidedAt: at(n * 60 * MIN - 15 * MIN + 20_000),
});

describe('shadowVerdictOf', () => {
  it('says a clean delivery rollout would have shipped, and that the person agreed', () => {
    expect(shadowVerdictOf(release(1, 'succeeded'))).toMatchObject({
      verdict: 'would_ship',
      decision: 'approved',
      agrees: true,
    });
  });
  it('says a rolled-back delivery release would have rolled back, naming the alarm', () => {
    const shadow = shadowVerdictOf(release(1, 'rolled_back'));
    expect(shadow).toMatchObject({ verdict: 'would_roll_back', agrees: false, canaryRan: true });
    expect(shadow?.reason).toContain('sluice-svc-errors');
  });
  it('says a rejected release would have shipped: the person caught what automation would not', () => {
    expect(shadowVerdictOf(release(1, 'rejected'))).toMatchObject({
      verdict: 'would_ship',
      decision: 'rejected',
      agrees: false,
      canaryRan: false,
    });
  });
  it('has no verdict for deployment releases or releases that never reached the gate', () => {
    expect(shadowVerdictOf(release(1, 'succeeded', 'deployment'))).toBeUndefined();
    expect(shadowVerdictOf(release(1, 'failed'))).toBeUndefined();
  });
});

describe('consecutiveCleanReleases', () => {
  it('counts succeeded production releases from the newest until a rollback or rejection; failed builds do not break it', () => {
    const newestFirst = [
      release(5, 'succeeded'),
      release(4, 'failed'),
      release(3, 'succeeded'),
      release(2, 'rolled_back'),
      release(1, 'succeeded'),
    ];
    expect(consecutiveCleanReleases(newestFirst)).toBe(2);
    expect(consecutiveCleanReleases([release(2, 'rejected'), release(1, 'succeeded')])).toBe(0);
  });
});

describe('approvalBehaviour', () => {
  it('calls quick comment-less approvals with no rejection a rubber stamp', () => {
    const behaviour = approvalBehaviour([quickApproval(1), quickApproval(2), quickApproval(3)], 120);
    expect(behaviour).toMatchObject({
      decided: 3,
      approved: 3,
      rejected: 0,
      quickApprovals: 3,
      rubberStamp: true,
      medianDecisionSeconds: 20,
    });
  });
  it('is not a rubber stamp when someone comments, takes time, or rejects', () => {
    expect(
      approvalBehaviour([quickApproval(1), { ...quickApproval(2), comment: 'checked the migration' }], 120)
        .rubberStamp,
    ).toBe(false);
    expect(
      approvalBehaviour([quickApproval(1), { ...quickApproval(2), decidedAt: at(2 * 60 * MIN) }], 120)
        .rubberStamp,
    ).toBe(false);
    expect(
      approvalBehaviour([quickApproval(1), { ...quickApproval(2), status: 'rejected' }], 120),
    ).toMatchObject({ rejected: 1, rubberStamp: false });
  });
  it('ignores pending and expired requests', () => {
    expect(
      approvalBehaviour(
        [
          { status: 'pending', requestedAt: at(0) },
          { status: 'expired', requestedAt: at(0) },
        ],
        120,
      ),
    ).toMatchObject({ decided: 0, rubberStamp: false });
  });
});

describe('assessReadiness', () => {
  const policy = { ...DEFAULT_READINESS_POLICY, minCleanReleases: 3 };

  it('is ready after enough clean releases, with every check and the rubber stamp in the evidence', () => {
    const releases = [1, 2, 3].map((n) => release(n, 'succeeded'));
    const readiness = assessReadiness('svc', releases, [1, 2, 3].map(quickApproval), policy);
    expect(readiness.ready).toBe(true);
    expect(readiness.score).toBe(100);
    expect(readiness.consecutiveCleanReleases).toBe(3);
    expect(readiness.changeFailureRate).toBe(0);
    expect(readiness.shadow).toEqual({ decided: 3, agreed: 3, agreement: 1 });
    expect(readiness.approvals.rubberStamp).toBe(true);
    expect(readiness.summary).toMatch(
      /^svc is ready for continuous deployment: 3 clean production releases in a row/,
    );
    expect(readiness.summary).toContain('rubber stamp');
  });

  it('is not ready after a rollback, and says which checks fail with the numbers', () => {
    const releases = [
      release(1, 'succeeded'),
      release(2, 'rolled_back'),
      release(3, 'succeeded'),
      release(4, 'succeeded'),
    ];
    const readiness = assessReadiness('svc', releases, [], policy);
    expect(readiness.ready).toBe(false);
    expect(readiness.consecutiveCleanReleases).toBe(2);
    // 1 of 4 production releases rolled back = 25% > 15%; restore 10 min is fine; agreement 3 of 4 = 75% < 80%.
    expect(readiness.changeFailureRate).toBe(0.25);
    expect(readiness.medianTimeToRestoreMs).toBe(10 * MIN);
    expect(readiness.checks.map((c) => [c.name, c.passed])).toEqual([
      ['clean-releases', false],
      ['change-failure-rate', false],
      ['time-to-restore', true],
      ['shadow-agreement', false],
    ]);
    expect(readiness.score).toBe(25);
    expect(readiness.summary).toContain('change failure rate 25% over 4 production releases (at most 15%)');
  });

  it('counts only releases after `since`, so a demoted service earns its streak again', () => {
    const releases = [1, 2, 3, 4].map((n) => release(n, 'succeeded'));
    const readiness = assessReadiness('svc', releases, [], policy, new Date(Date.parse(at(2 * 60 * MIN))));
    expect(readiness.consecutiveCleanReleases).toBe(2);
    expect(readiness.ready).toBe(false);
  });

  it('has nothing to go on for a new service', () => {
    const readiness = assessReadiness('svc', [], [], policy);
    expect(readiness).toMatchObject({ ready: false, score: 25, consecutiveCleanReleases: 0 });
    expect(readiness.summary).toContain('no production release yet');
  });
});

describe('decideAutoMode', () => {
  const policy = { ...DEFAULT_READINESS_POLICY, minCleanReleases: 3 };

  /** Replays outcomes through the rule as the Record handler does, returning the mode after each release. */
  function replay(statuses: readonly ReleaseRecord['status'][]): string[] {
    let mode: 'delivery' | 'deployment' = 'delivery';
    let since: Date | undefined;
    const history: ReleaseRecord[] = [];
    const modes: string[] = [];
    statuses.forEach((status, i) => {
      const ended = release(i + 1, status, mode);
      history.push(ended);
      const decision = decideAutoMode(mode, ended, assessReadiness('svc', history, [], policy, since));
      if (decision.switched) {
        mode = decision.mode;
        since = new Date(ended.outcome?.endedAt ?? 0);
      }
      modes.push(mode);
    });
    return modes;
  }

  it('graduates after enough clean releases and demotes after a rollback', () => {
    expect(replay(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'rolled_back'])).toEqual([
      'delivery',
      'delivery',
      'deployment',
      'deployment',
      'delivery',
    ]);
  });

  it('does not flap on alternating outcomes', () => {
    const alternating = Array.from({ length: 12 }, (_, i): ReleaseRecord['status'] =>
      i % 2 === 0 ? 'succeeded' : 'rolled_back',
    );
    expect(new Set(replay(alternating))).toEqual(new Set(['delivery']));
  });

  it('needs a fresh streak after a demotion', () => {
    const modes = replay([
      'succeeded',
      'succeeded',
      'succeeded',
      'rolled_back',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(modes).toEqual([
      'delivery',
      'delivery',
      'deployment',
      'delivery',
      'delivery',
      'delivery',
      'deployment',
    ]);
  });

  it('names the rolled-back release and its alarm when it demotes', () => {
    const decision = decideAutoMode(
      'deployment',
      release(9, 'rolled_back', 'deployment'),
      assessReadiness('svc', [], []),
    );
    expect(decision).toMatchObject({ mode: 'delivery', switched: true });
    expect(decision.reason).toContain('svc-9');
    expect(decision.reason).toContain('sluice-svc-errors');
  });
});
