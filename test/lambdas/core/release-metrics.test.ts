import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DORA_NAMESPACE,
  publishReleaseMetrics,
  releaseDatapoints,
} from '../../../lambdas/core/release-metrics';
import type { ReleaseRecord } from '../../../lambdas/ledger/ledger';

const base: ReleaseRecord = {
  releaseId: 'greeter-abc',
  service: 'greeter',
  mode: 'delivery',
  commit: {
    sha: 'a'.repeat(40),
    author: 'dev@example.com',
    message: 'one',
    time: '2026-11-01T00:00:00.000Z',
  },
  commits: [
    { sha: 'a'.repeat(40), author: 'dev@example.com', message: 'one', time: '2026-11-01T00:00:00.000Z' },
    { sha: 'b'.repeat(40), author: 'dev@example.com', message: 'two', time: '2026-11-01T00:30:00.000Z' },
  ],
  startedAt: '2026-11-01T00:40:00.000Z',
  trigger: { source: 'manual' },
  status: 'succeeded',
  stages: {
    Approval: {
      status: 'succeeded',
      startedAt: '2026-11-01T00:45:00.000Z',
      endedAt: '2026-11-01T00:55:00.000Z',
      durationMs: 600_000,
    },
    Deploy: {
      status: 'succeeded',
      startedAt: '2026-11-01T00:55:00.000Z',
      endedAt: '2026-11-01T01:00:00.000Z',
      durationMs: 300_000,
    },
  },
  outcome: { status: 'succeeded', stage: 'Deploy', endedAt: '2026-11-01T01:00:00.000Z' },
};

describe('releaseDatapoints', () => {
  it('gives a succeeded delivery release a deployment, a lead time per commit, its approval wait and its shadow agreement', () => {
    expect(releaseDatapoints(base)).toEqual([
      { name: 'Releases', unit: 'Count', value: 1 },
      { name: 'ProductionReleases', unit: 'Count', value: 1 },
      { name: 'FailedProductionReleases', unit: 'Count', value: 0 },
      { name: 'Deployments', unit: 'Count', value: 1 },
      { name: 'LeadTimeSeconds', unit: 'Seconds', value: 3600 },
      { name: 'LeadTimeSeconds', unit: 'Seconds', value: 1800 },
      { name: 'ApprovalWaitSeconds', unit: 'Seconds', value: 600 },
      { name: 'ShadowAgreement', unit: 'Count', value: 1 },
    ]);
  });

  it('gives a rolled-back deployment release a failure and a time to restore, and no deployment', () => {
    const rolledBack: ReleaseRecord = {
      ...base,
      mode: 'deployment',
      status: 'rolled_back',
      stages: { Deploy: base.stages.Deploy as NonNullable<ReleaseRecord['stages']['Deploy']> },
      outcome: { status: 'rolled_back', stage: 'Deploy', endedAt: '2026-11-01T01:00:00.000Z' },
    };
    expect(releaseDatapoints(rolledBack)).toEqual([
      { name: 'Releases', unit: 'Count', value: 1 },
      { name: 'ProductionReleases', unit: 'Count', value: 1 },
      { name: 'FailedProductionReleases', unit: 'Count', value: 1 },
      { name: 'TimeToRestoreSeconds', unit: 'Seconds', value: 300 },
    ]);
  });

  it('gives a release stopped at Test only a release count', () => {
    const failed: ReleaseRecord = {
      ...base,
      status: 'failed',
      stages: {},
      outcome: { status: 'failed', stage: 'Test', endedAt: base.startedAt },
    };
    expect(releaseDatapoints(failed)).toEqual([{ name: 'Releases', unit: 'Count', value: 1 }]);
  });
});

describe('releaseDatapoints of a retried release', () => {
  it('counts the release once: attempt 2 of a release Record counted at attempt 1 has no second Releases', () => {
    const retried: ReleaseRecord = {
      ...base,
      attempt: 2,
      metricsCountedAt: '2026-11-01T00:42:00.000Z',
      attemptStartedAt: '2026-11-01T00:44:00.000Z',
    };
    const points = releaseDatapoints(retried);
    expect(points.filter((p) => p.name === 'Releases')).toEqual([]);
    // Everything else as for any release; lead time still from each commit's time.
    expect(points).toEqual(releaseDatapoints(base).filter((p) => p.name !== 'Releases'));
    expect(points).toContainEqual({ name: 'LeadTimeSeconds', unit: 'Seconds', value: 3600 });
  });
});

describe('publishReleaseMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes EMF documents by Service+Mode and by Mode, as the release ends', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const logSpy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => lines.push(String(line)));
    publishReleaseMetrics(new Metrics({ namespace: DORA_NAMESPACE, serviceName: 'sluice' }), base);
    logSpy.mockRestore();
    const documents = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('_aws'))
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & {
            _aws: {
              Timestamp: number;
              CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
            };
          },
      );
    expect(documents).toHaveLength(2);
    const [byService, byMode] = documents;
    expect(byService?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Sluice');
    expect(byService?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Mode']]);
    expect(byService?.Service).toBe('greeter');
    expect(byService?.LeadTimeSeconds).toEqual([3600, 1800]);
    expect(byMode?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Mode']]);
    expect(byMode?.Mode).toBe('delivery');
    expect(byMode?.Deployments).toBe(1);
  });
});
