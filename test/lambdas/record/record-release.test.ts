import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import type { ReleaseInfo, ServiceConfig } from '../../../lambdas/core/model';
import type { Clock, DeployTarget } from '../../../lambdas/core/ports';
import type { Ledger, ReleaseRecord } from '../../../lambdas/ledger/ledger';
import { type RecordInput, recordRelease } from '../../../lambdas/record/record';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

let dynamo: TestLedger;
beforeAll(async () => {
  dynamo = await startTestLedger();
});
afterAll(async () => dynamo?.stop());

/** A catalog service as the validator fills it in, so every default is the real one. */
function config(mode: ServiceConfig['mode']): ServiceConfig {
  const result = parseCatalog({
    version: 1,
    services: [
      {
        name: 'svc',
        mode,
        source: { repository: 'svc' },
        runtime: { entry: 'src/handler.ts' },
        approval: { approvers: ['alice@example.com'] },
        readiness: { minCleanReleases: 2 },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return defined(result.catalog.services[0], 'the test service');
}

class CapturingMetrics {
  readonly published: ReleaseRecord[] = [];
  async publish(release: ReleaseRecord): Promise<void> {
    this.published.push(release);
  }
}

/** No release here waits for the production lock or times out at Deploy, so these are never called. */
const unexpected = (what: string) => () => {
  throw new Error(`${what} was not expected in this test`);
};
const NO_DEPLOYMENTS = {
  deployTarget: new Proxy(
    {},
    { get: (_t, name) => unexpected(`deployTarget.${String(name)}`) },
  ) as DeployTarget,
  alarms: { inAlarm: unexpected('alarms.inAlarm'), judge: unexpected('alarms.judge') },
  tasks: { succeed: unexpected('tasks.succeed'), fail: unexpected('tasks.fail') },
  baselines: { read: unexpected('baselines.read') },
};

let minute = 0;
const clock: Clock = { now: () => new Date(Date.parse('2026-11-01T00:00:00Z') + minute * 60_000) };

/** Opens release n in the ledger and records it ending with `status`, as the state machine would. */
async function release(
  ledger: Ledger,
  metrics: CapturingMetrics,
  n: number,
  mode: 'delivery' | 'deployment',
  status: 'succeeded' | 'rolled_back',
  catalogMode: ServiceConfig['mode'],
) {
  minute += 10;
  const info: ReleaseInfo = {
    releaseId: `svc-${n}`,
    service: 'svc',
    mode,
    commit: {
      sha: `${n}`.padEnd(40, 'c'),
      author: 'dev@example.com',
      message: `c${n}`,
      time: clock.now().toISOString(),
    },
    startedAt: clock.now().toISOString(),
    trigger: { source: 'manual' },
  };
  await ledger.startRelease(info);
  minute += 5;
  const input: RecordInput = {
    releaseId: info.releaseId,
    service: 'svc',
    trigger: info.trigger,
    release: info,
    config: config(catalogMode),
    stage: { version: `${n}`, smoke: { status: 200, latencyMs: 3 } },
    ...(mode === 'delivery'
      ? {
          approval: {
            approvalId: `a${n}`,
            decision: 'approved' as const,
            decidedBy: 'alice@example.com',
            decidedAt: clock.now().toISOString(),
          },
        }
      : {}),
    ...(status === 'rolled_back'
      ? {
          failure: { Error: 'DeploymentRolledBack', Cause: 'alarm sluice-svc-error-rate' },
          failedStage: { stage: 'Deploy' as const },
        }
      : { deploy: { deploymentId: `d${n}`, toVersion: `${n}`, strategy: 'Canary10Percent5Minutes' } }),
  };
  minute += 5;
  return recordRelease(input, { ledger, clock, releaseMetrics: metrics, ...NO_DEPLOYMENTS });
}

describe('recordRelease: shadow verdicts and metrics', () => {
  it('records what deployment mode would have decided for a delivery release, and publishes its datapoints', async () => {
    const ledger = await dynamo.newLedger();
    const metrics = new CapturingMetrics();
    await release(ledger, metrics, 1, 'delivery', 'succeeded', 'delivery');
    await release(ledger, metrics, 2, 'delivery', 'rolled_back', 'delivery');
    expect((await ledger.getRelease('svc-1'))?.shadow).toMatchObject({
      verdict: 'would_ship',
      decision: 'approved',
      agrees: true,
    });
    expect((await ledger.getRelease('svc-2'))?.shadow).toMatchObject({
      verdict: 'would_roll_back',
      agrees: false,
    });
    expect(metrics.published.map((r) => [r.releaseId, r.status, r.shadow?.verdict])).toEqual([
      ['svc-1', 'succeeded', 'would_ship'],
      ['svc-2', 'rolled_back', 'would_roll_back'],
    ]);
  });

  it('gives a deployment release no shadow verdict', async () => {
    const ledger = await dynamo.newLedger();
    const metrics = new CapturingMetrics();
    await release(ledger, metrics, 1, 'deployment', 'succeeded', 'deployment');
    expect((await ledger.getRelease('svc-1'))?.shadow).toBeUndefined();
    expect(metrics.published).toHaveLength(1);
  });
});

describe('recordRelease: a refused replay', () => {
  it('leaves the earlier release of the same id as it was (StalePushError from LoadService)', async () => {
    const ledger = await dynamo.newLedger();
    const metrics = new CapturingMetrics();
    await release(ledger, metrics, 1, 'deployment', 'succeeded', 'deployment');
    const before = await ledger.getRelease('svc-1');
    const state = await ledger.getServiceState('svc');
    const outcome = await recordRelease(
      {
        releaseId: 'svc-1',
        service: 'svc',
        trigger: { source: 'github', delivery: 'replayed-delivery' },
        failure: { Error: 'StalePushError', Cause: 'Commit 1ccc was released before' },
        failedStage: { stage: 'LoadService' },
      },
      { ledger, clock, releaseMetrics: metrics, ...NO_DEPLOYMENTS },
    );
    expect(outcome).toMatchObject({ status: 'failed', stage: 'LoadService' });
    expect(await ledger.getRelease('svc-1')).toEqual(before);
    expect(await ledger.getServiceState('svc')).toEqual(state);
    expect(metrics.published).toHaveLength(1);
  });
});

describe('recordRelease: auto mode', () => {
  it('promotes an auto service after enough clean releases and demotes it after a rollback, keeping the evidence', async () => {
    const ledger = await dynamo.newLedger();
    const metrics = new CapturingMetrics();
    const first = await release(ledger, metrics, 1, 'delivery', 'succeeded', 'auto');
    expect(first.modeDecision).toMatchObject({ mode: 'delivery', switched: false });
    const second = await release(ledger, metrics, 2, 'delivery', 'succeeded', 'auto');
    expect(second.modeDecision).toMatchObject({ mode: 'deployment', switched: true });
    expect((await ledger.getServiceMode('svc'))?.mode).toBe('deployment');
    await release(ledger, metrics, 3, 'deployment', 'succeeded', 'auto');
    const rolledBack = await release(ledger, metrics, 4, 'deployment', 'rolled_back', 'auto');
    expect(rolledBack.modeDecision).toMatchObject({ mode: 'delivery', switched: true });
    expect(rolledBack.modeDecision?.reason).toContain('svc-4');
    const switches = await ledger.listModeSwitches('svc');
    expect(switches.map((s) => `${s.from}->${s.mode}@${s.releaseId}`)).toEqual([
      'deployment->delivery@svc-4',
      'delivery->deployment@svc-2',
    ]);
    expect(switches[1]?.evidence).toMatchObject({ ready: true, consecutiveCleanReleases: 2 });
  });

  it('never moves a delivery or deployment service', async () => {
    const ledger = await dynamo.newLedger();
    const metrics = new CapturingMetrics();
    for (const n of [1, 2, 3]) {
      const result = await release(ledger, metrics, n, 'delivery', 'succeeded', 'delivery');
      expect(result.modeDecision).toBeUndefined();
    }
    expect(await ledger.getServiceMode('svc')).toBeUndefined();
  });
});
