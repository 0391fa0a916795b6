/** The benchmark's pure parts: usage and cost arithmetic, the profile, the table and the JSON. No timings. */
import { describe, expect, it } from 'vitest';
import { sluiceCost } from '../../lambdas/core/cost';
import {
  type BenchResult,
  formatJson,
  formatMarkdown,
  type InvocationSample,
  measuredUsage,
  median,
  profileFrom,
  synthScale,
} from '../../scripts/bench/report';

const sample = (handler: string, ms: number, writes = 0, reads = 0, cloudWatch = 0): InvocationSample => ({
  handler,
  ms,
  dynamoDbWriteUnits: writes,
  dynamoDbReadUnits: reads,
  cloudWatchRequests: cloudWatch,
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('measuredUsage', () => {
  it('bills each invocation rounded up to 1 ms with its cold start, at the template’s memory', () => {
    const usage = measuredUsage({
      transitions: 9,
      samples: [sample('build', 1000.2, 1, 0.5), sample('build', 999, 2), sample('deploy', 40.5, 3, 1, 1)],
      memoryMb: { build: 1024, deploy: 256 },
      coldStartMs: { build: 100, deploy: 20 },
    });
    // build: ceil(1100.2) + ceil(1099) = 2200 ms at 1 GB = 2.2 GB-s; deploy: ceil(60.5) = 61 ms at 0.25 GB.
    expect(usage.lambdaGbSeconds).toBeCloseTo(2.2 + 0.25 * 0.061, 12);
    expect(usage.lambdaRequests).toBe(3);
    expect(usage.dynamoDbWriteUnits).toBe(6);
    expect(usage.dynamoDbReadUnits).toBe(1.5);
    expect(usage.cloudWatchRequests).toBe(1);
    expect(usage.invocations.find((i) => i.handler === 'build')).toEqual({
      handler: 'build',
      count: 2,
      memoryMb: 1024,
      billedMs: 1100,
    });
    // 9 × $0.000025 + (2.21525 GB-s × $0.00001667 + 3 × $0.0000002) + 6 WRU × $0.625/M + 1.5 RRU × $0.125/M
    // + 1 request × $0.01/1000
    expect(sluiceCost(usage).total).toBeCloseTo(
      0.000225 + 2.21525 * 0.00001667 + 0.0000006 + 0.00000375 + 0.0000001875 + 0.00001,
      12,
    );
  });

  it('refuses a handler the template does not size', () => {
    expect(() =>
      measuredUsage({ transitions: 1, samples: [sample('ghost', 1)], memoryMb: {}, coldStartMs: {} }),
    ).toThrow(/ghost/);
  });
});

describe('profileFrom', () => {
  it('keeps the median duration and the mean requests per handler, and zeros for one never invoked', () => {
    const profile = profileFrom(
      [sample('record', 10, 2, 1), sample('record', 30, 4, 1), sample('record', 20, 3, 1)],
      { record: 256, router: 256 },
      { record: 150.04 },
      { measuredAt: '2026-12-04', method: 'test' },
    );
    expect(profile.handlers.record).toEqual({
      memoryMb: 256,
      medianMs: 20,
      coldStartMs: 150,
      dynamoDbWriteUnits: 3,
      dynamoDbReadUnits: 1,
      cloudWatchRequests: 0,
      samples: 3,
    });
    expect(profile.handlers.router?.samples).toBe(0);
  });
});

const RESULT: BenchResult = {
  measuredAt: '2026-12-04T18:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'Test CPU', node: 'v20.20.2', loadAverage: { start: 3.25, end: 2 } },
  durationSeconds: 240,
  timeScale: 60,
  transitions: { greenDeployment: 9, approvedDelivery: 12, rolledBack: 10, testFailed: 7 },
  costPerReleaseUsd: { sluice: 0.0004, codePipelineV2: 0.02, ratio: 50 },
  costBreakdownUsd: {
    stepFunctions: 0.000225,
    lambda: 0.00015,
    eventBridge: 0,
    dynamoDb: 0.000015,
    cloudWatch: 0.00001,
    total: 0.0004,
  },
  rollbackMs: 1234,
  canaryPeriodMs: 1000,
  synthSeconds: { '1': 10, '10': 12.5, '1000': 30.25 },
  synthScale: {
    seconds: { '10': 12.5, '1000': 30.3 },
    ratio: 2.42,
    samples: { '10': [12.5, 11.9, 13], '1000': [30.3, 29.1, 41.8] },
  },
  pipelineResources: { '1': 86, '1000': 86 },
  bundleKb: { build: 600.4 },
  initMs: { build: 80.2 },
  scenarios: [
    {
      key: 'greenDeployment',
      releaseId: 'checkout-abc',
      outcome: 'succeeded at Deploy',
      transitions: 9,
      modelTransitions: 9,
      wallSeconds: 12.3,
      sluiceUsd: 0.0004,
      modelUsd: 0.00041,
      codePipelineV2Usd: 0.02,
      invocations: { build: 1 },
    },
  ],
  handlers: { build: { memoryMb: 1769, bundleKb: 600.4, initMs: 80.2, medianMs: 1500, invocations: 4 } },
};

describe('synthScale', () => {
  it('takes the ratio of the medians, so one slow round does not decide it', () => {
    const scale = synthScale([9.1, 9.9, 8.9], [16.1, 26.0, 17.3]);
    expect(scale.seconds).toEqual({ '10': 9.1, '1000': 17.3 });
    expect(scale.ratio).toBe(1.9);
    expect(scale.samples).toEqual({ '10': [9.1, 9.9, 8.9], '1000': [16.1, 26, 17.3] });
  });

  it('rounds the medians after dividing, not before', () => {
    expect(synthScale([10.04], [20.14]).ratio).toBe(2.01);
  });

  it('refuses rounds that did not measure both sizes', () => {
    expect(() => synthScale([9, 10], [18])).toThrow(
      'synthScale needs one sample of each size per round; received 2 at 10 and 1 at 1,000',
    );
    expect(() => synthScale([], [])).toThrow('received 0 at 10 and 0 at 1,000');
  });
});

describe('formatMarkdown', () => {
  it('prints the headline figures, one row per release and one per handler', () => {
    const md = formatMarkdown(RESULT);
    expect(md).toContain('2 × Test CPU, Node v20.20.2, load average 3.3 → 2.0, 240 s');
    expect(md).toContain(
      '| cost per release, green deployment with a 5-minute canary | Sluice $0.000400 · CodePipeline V2 $0.0200 (50×) |',
    );
    expect(md).toContain(
      'green deployment (5-min canary) 9 · approved delivery 12 · rolled back by an alarm 10 · tests fail 7',
    );
    expect(md).toContain('1234 ms (canary alarm period 1000 ms = 1 minute at time scale 60)');
    expect(md).toContain('| `cdk synth` (services: seconds) | 1: 10.0 s, 10: 12.5 s, 1000: 30.3 s |');
    expect(md).toContain(
      '| `cdk synth`, 1,000 services against 10 | 2.42× (medians of 3 alternating rounds; 10: 12.5, 11.9, 13 s; 1,000: 30.3, 29.1, 41.8 s) |',
    );
    expect(md).toContain(
      '| green deployment (5-min canary) | succeeded at Deploy | 9 (9) | $0.000400 ($0.000410) | $0.0200 | 12.3 s |',
    );
    expect(md).toContain('| build | 600 | 80.2 | 1769 | 1500.0 | 4 |');
  });

  it('says when the rollback was not measured', () => {
    expect(formatMarkdown({ ...RESULT, rollbackMs: null })).toContain('| not measured |');
  });
});

describe('formatJson', () => {
  it('is one line holding every key the issue asks for', () => {
    const line = formatJson(RESULT);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as BenchResult;
    expect(parsed).toEqual(RESULT);
    expect(Object.keys(parsed.transitions).sort()).toEqual([
      'approvedDelivery',
      'greenDeployment',
      'rolledBack',
      'testFailed',
    ]);
    expect(parsed.costPerReleaseUsd).toHaveProperty('codePipelineV2');
    expect(parsed.synthSeconds).toHaveProperty('10');
    expect(parsed.synthSeconds).toHaveProperty('1000');
    for (const key of ['rollbackMs', 'pipelineResources', 'bundleKb', 'initMs'])
      expect(parsed).toHaveProperty(key);
  });
});
