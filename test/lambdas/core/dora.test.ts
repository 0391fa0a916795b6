import { describe, expect, it } from 'vitest';
import { defined } from '../../../lambdas/core/defined';
import {
  computeDora,
  doraSeries,
  parseDuration,
  restoreDuration,
  revertedReleases,
  summarize,
} from '../../../lambdas/core/dora';
import type { ReleaseRecord, StageRecord } from '../../../lambdas/ledger/ledger';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

function stage(startMs: number, endMs: number): StageRecord {
  return { status: 'succeeded', startedAt: at(startMs), endedAt: at(endMs), durationMs: endMs - startMs };
}

interface Seed {
  readonly id: string;
  readonly service: string;
  readonly mode: 'delivery' | 'deployment';
  readonly status: ReleaseRecord['status'];
  /** Commit times, as offsets from T0. */
  readonly commits: readonly number[];
  readonly approval?: readonly [number, number];
  readonly deploy?: readonly [number, number];
  readonly end: number;
}

function release(seed: Seed): ReleaseRecord {
  const commits = seed.commits.map((time, i) => ({
    sha: `${seed.id}${i}`.padEnd(40, '0'),
    author: 'dev@example.com',
    message: `change ${i}`,
    time: at(time),
  }));
  return {
    releaseId: seed.id,
    service: seed.service,
    mode: seed.mode,
    commit: defined(commits[0], 'the release commit'),
    commits,
    startedAt: at(defined(seed.commits[0], 'seed.commits[0]')),
    trigger: { source: 'manual' },
    status: seed.status,
    stages: {
      ...(seed.approval ? { Approval: stage(seed.approval[0], seed.approval[1]) } : {}),
      ...(seed.deploy ? { Deploy: stage(seed.deploy[0], seed.deploy[1]) } : {}),
    },
    outcome: { status: seed.status, stage: 'Deploy', endedAt: at(seed.end) },
  };
}

// A 10-day period. Worked by hand below each seed.
const PERIOD = { since: new Date(T0), until: new Date(T0 + 10 * 24 * HOUR) };
const LEDGER: readonly ReleaseRecord[] = [
  // greeter (delivery) r1: two commits at 0 h and 1 h; approval waits 2 h → 4 h; deploy 4 h → 4.5 h.
  //   lead times: 4.5 h and 3.5 h; without the 2 h wait: 2.5 h and 1.5 h; approval wait 2 h.
  release({
    id: 'g1',
    service: 'greeter',
    mode: 'delivery',
    status: 'succeeded',
    commits: [0, 1 * HOUR],
    approval: [2 * HOUR, 4 * HOUR],
    deploy: [4 * HOUR, 4.5 * HOUR],
    end: 4.5 * HOUR,
  }),
  // greeter r2: commit at 24 h; approval 24.5 h → 25.5 h (1 h); deploy ends 26 h. lead 2 h; without 1 h.
  release({
    id: 'g2',
    service: 'greeter',
    mode: 'delivery',
    status: 'succeeded',
    commits: [24 * HOUR],
    approval: [24.5 * HOUR, 25.5 * HOUR],
    deploy: [25.5 * HOUR, 26 * HOUR],
    end: 26 * HOUR,
  }),
  // greeter r3: rejected at the gate: not a production release, counts only as a release.
  release({
    id: 'g3',
    service: 'greeter',
    mode: 'delivery',
    status: 'rejected',
    commits: [48 * HOUR],
    approval: [48.5 * HOUR, 49 * HOUR],
    end: 49 * HOUR,
  }),
  // checkout (deployment) c1: commit 0 h, deploy 1 h → 1.25 h: lead 1.25 h.
  release({
    id: 'c1',
    service: 'checkout',
    mode: 'deployment',
    status: 'succeeded',
    commits: [0],
    deploy: [HOUR, 1.25 * HOUR],
    end: 1.25 * HOUR,
  }),
  // checkout c2: rolled back; deploy began 50 h, previous version serving again at 50 h 6 min: restore 6 min.
  release({
    id: 'c2',
    service: 'checkout',
    mode: 'deployment',
    status: 'rolled_back',
    commits: [49 * HOUR],
    deploy: [50 * HOUR, 50 * HOUR + 6 * MIN],
    end: 50 * HOUR + 6 * MIN,
  }),
  // checkout c3: commit 72 h, live 72.5 h: lead 0.5 h.
  release({
    id: 'c3',
    service: 'checkout',
    mode: 'deployment',
    status: 'succeeded',
    commits: [72 * HOUR],
    deploy: [72.25 * HOUR, 72.5 * HOUR],
    end: 72.5 * HOUR,
  }),
  // checkout c4: ended after the period: excluded everywhere.
  release({
    id: 'c4',
    service: 'checkout',
    mode: 'deployment',
    status: 'succeeded',
    commits: [10 * 24 * HOUR],
    deploy: [10 * 24 * HOUR + MIN, 10 * 24 * HOUR + 2 * MIN],
    end: 10 * 24 * HOUR + 2 * MIN,
  }),
];

describe('computeDora', () => {
  const report = computeDora(LEDGER, PERIOD);

  it('counts deployments per day over the period, excluding releases that ended outside it', () => {
    expect(report.period.days).toBe(10);
    expect(report.overall.releases).toBe(6);
    expect(report.overall.deployments).toBe(4); // g1, g2, c1, c3
    expect(report.overall.deploymentsPerDay).toBeCloseTo(0.4);
    expect(report.byService.greeter?.deploymentsPerDay).toBeCloseTo(0.2);
  });

  it('measures lead time per commit, with the approval wait shown apart', () => {
    const greeter = report.byService.greeter;
    expect(greeter?.mode).toBe('delivery');
    // samples 4.5 h, 3.5 h, 2 h → median 3.5 h, mean 10/3 h
    expect(greeter?.leadTime).toEqual({
      samples: 3,
      medianMs: 3.5 * HOUR,
      meanMs: (10 / 3) * HOUR,
      maxMs: 4.5 * HOUR,
    });
    // 2.5 h, 1.5 h, 1 h → median 1.5 h
    expect(greeter?.leadTimeWithoutApproval.medianMs).toBe(1.5 * HOUR);
    // waits 2 h and 1 h (the rejected release never shipped, so it is not a lead-time sample)
    expect(greeter?.approvalWait).toEqual({
      samples: 2,
      medianMs: 1.5 * HOUR,
      meanMs: 1.5 * HOUR,
      maxMs: 2 * HOUR,
    });
    // checkout: 1.25 h and 0.5 h
    expect(report.byService.checkout?.leadTime.medianMs).toBe(0.875 * HOUR);
    expect(report.byService.checkout?.approvalWait.samples).toBe(0);
  });

  it('computes change failure rate over production releases only', () => {
    expect(report.byService.greeter?.productionReleases).toBe(2);
    expect(report.byService.greeter?.changeFailureRate).toBe(0);
    expect(report.byService.checkout?.productionReleases).toBe(3);
    expect(report.byService.checkout?.failedProductionReleases).toBe(1);
    expect(report.byService.checkout?.changeFailureRate).toBeCloseTo(1 / 3);
    expect(report.overall.changeFailureRate).toBeCloseTo(1 / 5);
  });

  it('measures time to restore from the failing deployment to the rollback end', () => {
    expect(report.byService.checkout?.timeToRestore).toEqual({
      samples: 1,
      medianMs: 6 * MIN,
      meanMs: 6 * MIN,
      maxMs: 6 * MIN,
    });
    expect(report.byService.greeter?.timeToRestore.samples).toBe(0);
  });

  it('splits by mode', () => {
    expect(report.byMode.delivery?.deployments).toBe(2);
    expect(report.byMode.deployment?.deployments).toBe(2);
    expect(report.byMode.deployment?.changeFailureRate).toBeCloseTo(1 / 3);
  });

  it('leaves the rate undefined when nothing reached production', () => {
    const onlyRejected = computeDora([defined(LEDGER[2], 'the rejected release')], PERIOD);
    expect(onlyRejected.overall.changeFailureRate).toBeUndefined();
    expect(onlyRejected.overall.leadTime).toEqual({ samples: 0 });
  });

  it('refuses a period that ends before it starts, naming both ends', () => {
    expect(() => computeDora(LEDGER, { since: PERIOD.until, until: PERIOD.since })).toThrow(
      /must end after it starts; received since=2026-11-11.* until=2026-11-01/,
    );
  });
});

describe('computeDora: attempts', () => {
  // c1 of checkout, retried: attempt 1 (started 0.5 h) failed at Test; attempt 2 started at 5 h and went live
  // at 5.5 h. One release, one deployment, lead time 5.5 h from the commit (not 0.5 h from attempt 2's start).
  const retried: ReleaseRecord = {
    ...release({
      id: 'r1',
      service: 'checkout',
      mode: 'deployment',
      status: 'succeeded',
      commits: [0],
      deploy: [5.25 * HOUR, 5.5 * HOUR],
      end: 5.5 * HOUR,
    }),
    attempt: 2,
    attemptStartedAt: at(5 * HOUR),
    retry: { requestedBy: 'dana@example.com', reason: 'flaky test' },
    attempts: [
      {
        attempt: 1,
        startedAt: at(0.5 * HOUR),
        status: 'failed',
        stages: {},
        outcome: { status: 'failed', stage: 'Test', endedAt: at(HOUR) },
      },
    ],
  };
  // r2: attempt 1 aborted mid-canary, attempt 2 rolled back by its alarm: one failed production release.
  const abortedThenRolledBack: ReleaseRecord = {
    ...release({
      id: 'r2',
      service: 'checkout',
      mode: 'deployment',
      status: 'rolled_back',
      commits: [24 * HOUR],
      deploy: [26 * HOUR, 26 * HOUR + 6 * MIN],
      end: 26 * HOUR + 6 * MIN,
    }),
    attempt: 2,
    attempts: [
      {
        attempt: 1,
        startedAt: at(24.5 * HOUR),
        status: 'aborted',
        stages: {},
        outcome: { status: 'aborted', stage: 'Deploy', endedAt: at(25 * HOUR) },
      },
    ],
  };

  it('counts a retried release once, its lead time from the commit, and its failure rate over releases', () => {
    const report = computeDora([retried, abortedThenRolledBack], PERIOD);
    expect(report.overall).toMatchObject({
      releases: 2,
      deployments: 1,
      productionReleases: 2,
      failedProductionReleases: 1,
      changeFailureRate: 0.5,
    });
    expect(report.overall.leadTime).toEqual({
      samples: 1,
      medianMs: 5.5 * HOUR,
      meanMs: 5.5 * HOUR,
      maxMs: 5.5 * HOUR,
    });
  });
});

describe('restoreDuration', () => {
  it('is undefined for a release that was not rolled back', () => {
    expect(restoreDuration(defined(LEDGER[0], 'LEDGER[0]'))).toBeUndefined();
  });
});

describe('summarize', () => {
  it('takes the middle of an even count as the mean of the two middle values', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ samples: 4, medianMs: 2.5, meanMs: 2.5, maxMs: 4 });
  });
});

describe('parseDuration', () => {
  it('reads minutes, hours, days and weeks', () => {
    expect(parseDuration('90m')).toBe(90 * MIN);
    expect(parseDuration('12h')).toBe(12 * HOUR);
    expect(parseDuration('30d')).toBe(30 * 24 * HOUR);
    expect(parseDuration('2w')).toBe(14 * 24 * HOUR);
  });

  it('says how to write a duration it cannot read', () => {
    expect(() => parseDuration('30 days')).toThrow(
      /Cannot read the duration "30 days": write a whole number and a unit, e.g. 30d/,
    );
  });
});

describe('doraSeries', () => {
  it('cuts the period into buckets whose counts add up to the whole', () => {
    const series = doraSeries(LEDGER, PERIOD, 5); // 2-day buckets
    expect(series.map((b) => b.start)).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      '2026-11-05T00:00:00.000Z',
      '2026-11-07T00:00:00.000Z',
      '2026-11-09T00:00:00.000Z',
    ]);
    // g1, g2, c1 end on day 1–2; g3 (49 h), c2 (50 h), c3 (72.5 h) on days 3–4.
    expect(series.map((b) => b.metrics.deployments)).toEqual([3, 1, 0, 0, 0]);
    expect(series.map((b) => b.metrics.releases)).toEqual([3, 3, 0, 0, 0]);
    expect(series[1]?.metrics.changeFailureRate).toBeCloseTo(1 / 2);
    expect(series.reduce((n, b) => n + b.metrics.deployments, 0)).toBe(
      computeDora(LEDGER, PERIOD).overall.deployments,
    );
  });

  it('refuses a bucket count it cannot draw', () => {
    expect(() => doraSeries(LEDGER, PERIOD, 0)).toThrow(
      'A metrics series needs 1 to 366 buckets; received 0',
    );
  });
});

describe('manual rollbacks', () => {
  // checkout c3 went live at 72.5 h as version "c3"; someone rolled it back by hand at 80 h (done 80.1 h).
  const c3: ReleaseRecord = { ...defined(LEDGER[5], 'checkout c3'), version: 'c3' };
  const rollback: ReleaseRecord = {
    ...release({
      id: 'rb',
      service: 'checkout',
      mode: 'deployment',
      status: 'succeeded',
      commits: [0],
      end: 80.1 * HOUR,
    }),
    startedAt: at(80 * HOUR),
    rollback: {
      requestedBy: 'oncall@example.com',
      reason: 'prices wrong',
      toReleaseId: 'c1',
      fromVersion: 'c3',
      toVersion: 'c1',
    },
  };
  const ledger = [...LEDGER.slice(0, 5), c3, rollback];

  it('counts the reverted release as a failed change, restored when the rollback ended, and not as a deployment', () => {
    const checkout = computeDora(ledger, PERIOD).byService.checkout;
    expect(checkout?.deployments).toBe(2); // c1, c3; the rollback itself is no deployment
    expect(checkout?.productionReleases).toBe(3);
    expect(checkout?.failedProductionReleases).toBe(2); // c2 by its alarm, c3 by hand
    // c2: 6 min; c3: live 72.5 h → restored 80.1 h = 7.6 h
    expect(checkout?.timeToRestore).toMatchObject({ samples: 2, maxMs: 7.6 * HOUR });
  });

  it('finds the reverted release by the version the rollback took away from', () => {
    expect([...revertedReleases(ledger).keys()]).toEqual(['c3']);
  });
});
