import { describe, expect, it } from 'vitest';
import {
  codePipelineActions,
  DORA_METRICS_PER_SERVICE,
  estimateRelease,
  fixedMonthlyCost,
  formatUsd,
  type HandlerProfile,
  type HandlerProfileEntry,
  HandlerProfileError,
  monthlyCost,
  type ReleaseFacts,
  transitionPath,
} from '../../../lambdas/core/cost';
import { PRICES } from '../../../lambdas/core/prices';
import { DORA_METRICS } from '../../../lambdas/core/release-metrics';

// Round figures so every expectation below can be worked out by hand.
const small: HandlerProfileEntry = {
  memoryMb: 256,
  medianMs: 100,
  coldStartMs: 0,
  dynamoDbWriteUnits: 2,
  dynamoDbReadUnits: 1,
  cloudWatchRequests: 0,
  samples: 3,
};
const PROFILE: HandlerProfile = {
  measuredAt: '2026-12-04',
  method: 'test',
  handlers: {
    'load-service': small,
    build: { ...small, memoryMb: 1024 },
    'run-tests': { ...small, memoryMb: 1024 },
    stage: small,
    'request-approval': small,
    deploy: { ...small, cloudWatchRequests: 1 },
    record: small,
    'deployment-events': small,
    'alarm-events': small,
    'execution-events': small,
    'approval-api': small,
    'approval-expiry': small,
    router: small,
    'github-webhook': small,
  },
};

const STAGES = {
  LoadService: { durationMs: 200 },
  Build: { durationMs: 2000 },
  Test: { durationMs: 3000 },
  Stage: { durationMs: 500 },
  // A 5-minute canary at timeScale 60: 6 s here stand for 6 minutes.
  Deploy: { durationMs: 6000 },
};

const GREEN: ReleaseFacts = {
  mode: 'deployment',
  status: 'succeeded',
  outcome: { stage: 'Deploy' },
  stages: STAGES,
  trigger: { source: 'codecommit' },
  deploymentId: 'd-1',
};

describe('transitionPath', () => {
  it('follows the state machine for each way a release ends', () => {
    expect(transitionPath(GREEN)).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'Mode',
      'Deploy',
      'Record',
      'Outcome',
      'Released',
    ]);
    const approved = transitionPath({ ...GREEN, mode: 'delivery' });
    expect(approved).toHaveLength(12);
    expect(approved).toContain('ScheduledRelease');
    expect(transitionPath({ ...GREEN, status: 'rolled_back' })?.slice(5)).toEqual([
      'Deploy',
      'DeployFailed',
      'Record',
      'Outcome',
      'NotReleased',
    ]);
    expect(transitionPath({ ...GREEN, status: 'failed', outcome: { stage: 'Test' } })).toEqual([
      'LoadService',
      'Build',
      'Test',
      'TestFailed',
      'Record',
      'Outcome',
      'NotReleased',
    ]);
    const approval = { ...GREEN, mode: 'delivery', outcome: { stage: 'Approval' } } as const;
    expect(transitionPath({ ...approval, status: 'rejected' })?.slice(6, 7)).toEqual(['ApprovalDecision']);
    expect(transitionPath({ ...approval, status: 'expired' })?.slice(6, 7)).toEqual(['ApprovalFailed']);
  });

  it('has no path while the release runs, and an empty one for a manual rollback', () => {
    expect(transitionPath({ ...GREEN, status: 'running', outcome: undefined })).toBeUndefined();
    expect(transitionPath({ ...GREEN, rollback: { reason: 'x' } })).toEqual([]);
  });
});

describe('estimateRelease', () => {
  it('prices a green deployment release worked out by hand', () => {
    const cost = estimateRelease(GREEN, { profile: PROFILE, timeScale: 60 });
    // 9 transitions × $0.000025
    expect(cost?.sluice.stepFunctions).toBeCloseTo(0.000225, 12);
    // GB-s: load 0.25×0.2 + build 1×2 + test 1×3 + stage 0.25×0.5 + (deploy, record, router, deployment-events)
    // 4 × 0.25×0.1 = 5.275 GB-s; 8 requests.
    expect(cost?.usage.lambdaGbSeconds).toBeCloseTo(5.275, 12);
    expect(cost?.usage.lambdaRequests).toBe(8);
    expect(cost?.sluice.lambda).toBeCloseTo(5.275 * 0.00001667 + 8 * 0.0000002, 15);
    // 8 invocations × 2 WRU and × 1 RRU; one DescribeAlarms (Deploy's preflight).
    expect(cost?.sluice.dynamoDb).toBeCloseTo(16 * 0.625e-6 + 8 * 0.125e-6, 15);
    expect(cost?.sluice.cloudWatch).toBeCloseTo(0.00001, 15);
    expect(cost?.sluice.eventBridge).toBe(0);
    expect(cost?.sluice.total).toBeCloseTo(0.00033553425, 12);
    // CodePipeline V2: Source 1 + Build 1 + Test 1 + Stage 1 + Deploy 6 (the canary's real time) = 10 minutes.
    expect(cost?.codePipelineV2.actions.map((a) => `${a.name}:${a.minutes}`)).toEqual([
      'Source:1',
      'Build:1',
      'Test:1',
      'Stage:1',
      'Deploy:6',
    ]);
    expect(cost?.codePipelineV2.usd).toBeCloseTo(0.02, 12);
  });

  it('prices a retried release over its attempts: each one execution and one pipeline run; the retry is no push', () => {
    // Attempt 1, pushed through CodeCommit, failed at Test; attempt 2, retried by a person, went live.
    const retried: ReleaseFacts = {
      ...GREEN,
      attempts: [{ status: 'failed', outcome: { stage: 'Test' }, stages: STAGES }],
    };
    const cost = estimateRelease(retried, { profile: PROFILE, timeScale: 60 });
    // 7 transitions (LoadService … TestFailed, Record, Outcome, NotReleased) + the green run's 9.
    expect(cost?.transitions).toBe(16);
    // Attempt 1: router, load, build, test, record, execution-events (6: it ended FAILED); attempt 2: load,
    // build, test, stage, deploy, record, deployment-events (7, no router: nobody pushed).
    expect(cost?.usage.lambdaRequests).toBe(13);
    expect(cost?.usage.invocations.filter((i) => i.handler === 'router')).toEqual([
      expect.objectContaining({ count: 1 }),
    ]);
    // CodePipeline V2: Source, Build, Test (3 minutes), then the green run's 10.
    expect(cost?.codePipelineV2.usd).toBeCloseTo(13 * 0.002, 12);
    const { deploymentId: _none, ...pushed } = GREEN;
    const first = estimateRelease(
      { ...pushed, status: 'failed', outcome: { stage: 'Test' } },
      { profile: PROFILE },
    );
    const second = estimateRelease({ ...GREEN, trigger: { source: 'manual' } }, { profile: PROFILE });
    expect(cost?.sluice.total).toBeCloseTo((first?.sluice.total ?? 0) + (second?.sluice.total ?? 0), 15);
    // Still running its attempt 2: no estimate yet.
    expect(
      estimateRelease({ ...retried, status: 'running', outcome: undefined }, { profile: PROFILE }),
    ).toBeUndefined();
  });

  it('counts the approval page, the expiry schedule and each approver for an approved delivery release', () => {
    const cost = estimateRelease(
      {
        ...GREEN,
        mode: 'delivery',
        trigger: { source: 'github' },
        stages: { ...STAGES, Approval: { durationMs: 3_600_000 } },
      },
      { profile: PROFILE, approvalsRequired: 2, timeScale: 60 },
    );
    const counts = Object.fromEntries(cost?.usage.invocations.map((i) => [i.handler, i.count]) ?? []);
    expect(counts).toMatchObject({
      'request-approval': 1,
      'approval-api': 4,
      'approval-expiry': 1,
      'github-webhook': 1,
      router: 1,
    });
    expect(cost?.transitions).toBe(12);
    // One PutEvents entry (the GitHub push) and one Scheduler invocation: $1/million each.
    expect(cost?.sluice.eventBridge).toBeCloseTo(0.000002, 15);
    // The manual approval is free however long the people take.
    expect(cost?.codePipelineV2.actions.find((a) => a.name === 'Approval')?.minutes).toBe(0);
    expect(cost?.codePipelineV2.usd).toBeCloseTo(0.02, 12);
  });

  it('adds alarm-events and DeployFailed for a rolled-back release', () => {
    const cost = estimateRelease(
      { ...GREEN, status: 'rolled_back', stoppedByAlarm: 'sluice-checkout-error-rate' },
      { profile: PROFILE },
    );
    expect(cost?.transitions).toBe(10);
    expect(cost?.usage.invocations.map((i) => i.handler)).toContain('alarm-events');
    // It ends in the NotReleased Fail state: a FAILED status change for execution-events.
    expect(cost?.usage.invocations.find((i) => i.handler === 'execution-events')?.count).toBe(1);
  });

  it('stops counting at a failed test: 7 transitions, three CodePipeline minutes', () => {
    const facts: ReleaseFacts = {
      mode: 'delivery',
      status: 'failed',
      outcome: { stage: 'Test' },
      stages: { LoadService: STAGES.LoadService, Build: STAGES.Build, Test: STAGES.Test },
      trigger: { source: 'local-git' },
    };
    const cost = estimateRelease(facts, { profile: PROFILE });
    expect(cost?.transitions).toBe(7);
    expect(cost?.usage.invocations.map((i) => i.handler).sort()).toEqual([
      'build',
      'execution-events',
      'load-service',
      'record',
      'router',
      'run-tests',
    ]);
    expect(cost?.codePipelineV2.usd).toBeCloseTo(0.006, 12);
  });

  it('bills cold starts and rounds each invocation up to the millisecond', () => {
    const profile = {
      ...PROFILE,
      handlers: { ...PROFILE.handlers, record: { ...small, medianMs: 10.2, coldStartMs: 300 } },
    };
    const cost = estimateRelease(GREEN, { profile });
    expect(cost?.usage.invocations.find((i) => i.handler === 'record')?.billedMs).toBe(311);
  });

  it('prices a manual rollback as its deployment alone', () => {
    const cost = estimateRelease(
      { ...GREEN, rollback: { reason: 'prices look wrong' }, stages: { Deploy: { durationMs: 90_000 } } },
      { profile: PROFILE },
    );
    expect(cost?.transitions).toBe(0);
    expect(cost?.usage.invocations.map((i) => i.handler)).toEqual(['deployment-events']);
    expect(cost?.codePipelineV2.actions).toEqual([{ name: 'Deploy', minutes: 2 }]);
  });

  it('has no estimate while the release runs', () => {
    expect(
      estimateRelease({ ...GREEN, status: 'running', outcome: undefined }, { profile: PROFILE }),
    ).toBeUndefined();
  });

  it('names the missing handler when the profile is older than the handlers', () => {
    const { router: _, ...rest } = PROFILE.handlers;
    expect(() => estimateRelease(GREEN, { profile: { ...PROFILE, handlers: rest } })).toThrow(
      HandlerProfileError,
    );
    expect(() => estimateRelease(GREEN, { profile: { ...PROFILE, handlers: rest } })).toThrow(/"router"/);
  });
});

describe('codePipelineActions', () => {
  it('bills a stage the ledger has no time for as one minute', () => {
    expect(codePipelineActions({ ...GREEN, stages: {} })?.map((a) => a.minutes)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('monthlyCost and fixedMonthlyCost', () => {
  it('scales the period’s releases to 30 days', () => {
    const month = monthlyCost([0.001, 0.002, 0.003], 7);
    expect(month.releasesPerMonth).toBeCloseTo((3 * 30) / 7, 12);
    expect(month.usd).toBeCloseTo((0.006 * 30) / 7, 12);
    expect(() => monthlyCost([], 0)).toThrow(RangeError);
  });

  it('counts alarm metrics and DORA metrics per service', () => {
    // error rate (2 metrics) + p99 + business = 4 × $0.10; 6 deployment-mode DORA metrics × $0.30
    const fixed = fixedMonthlyCost({ mode: 'deployment', deploy: { alarms: { business: {} } } });
    expect(fixed.alarms).toBeCloseTo(0.4, 12);
    expect(fixed.doraMetrics).toBeCloseTo(1.8, 12);
    expect(fixedMonthlyCost({ mode: 'delivery' }).total).toBeCloseTo(0.3 + 2.4, 12);
  });

  it('counts as many DORA metrics as Record publishes', () => {
    expect(Object.keys(DORA_METRICS)).toHaveLength(DORA_METRICS_PER_SERVICE.delivery);
  });
});

describe('formatUsd', () => {
  it('keeps three significant digits below a dollar', () => {
    expect(formatUsd(0.00033553425)).toBe('$0.000336');
    expect(formatUsd(0.02)).toBe('$0.0200');
    expect(formatUsd(2.2)).toBe('$2.20');
    expect(formatUsd(0)).toBe('$0');
  });
});

describe('PRICES', () => {
  it('names a source and the day it was checked for every price', () => {
    for (const price of Object.values(PRICES)) {
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\/|^https:\/\/docs\.aws\.amazon\.com\//);
      expect(price.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (!price.confirmed) expect(price.note).toMatch(/https:\/\//);
    }
  });
});
