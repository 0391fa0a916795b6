/**
 * Continuous deployment end to end through the real LocalSluice: the CDK-rendered state machine, the real
 * handlers, DynamoDB Local, versions as processes behind the weighted router with real traffic, the local
 * alarms (error rate, p99 latency, the OrdersCompleted business metric the checkout service emits as EMF),
 * the alarm-events handler stopping deployments, preflight, the production lock and manual rollback.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../lambdas/core/catalog/types';
import { defined } from '../../lambdas/core/defined';
import { dimensionValue } from '../../local/aws/cloudwatch/alarm-definition';
import { invocationMetrics } from '../../local/aws/lambda/invocation-metrics';
import { rollbackLocally } from '../../local/cli/rollback';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice, ReleaseReport } from '../../local/runtime';
import { git, gitSteps } from '../support/git';
import { once } from '../support/once';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';
import { aliasErrorRateAlarm } from './deploy-target/support';

const CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

let sluice: LocalSluice;
let repo: string;
/** The seeded commit: the first release. */
let seededSha: string;
let checkout: ServiceConfig;

beforeAll(async () => {
  const root = testTempDir('cd-');
  const reposDir = join(root, 'repos');
  const seeded = await seedRepository(reposDir, 'checkout');
  repo = seeded.repo;
  seededSha = seeded.sha;
  sluice = await startLocalSluice({
    catalogFile: CATALOG,
    stateDir: join(root, 'state'),
    reposDir,
    timeScale: 60,
    trafficPerSecond: 60,
  });
  checkout = sluice.catalog.services.find((s) => s.name === 'checkout')!;
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

/** A new commit on top of `base` from an overlay (so each bad commit starts from a good one). */
async function commitOn(base: string, overlay: string): Promise<string> {
  await git(repo, ['reset', '-q', '--hard', base]);
  return commitOverlay(repo, overlay);
}

/** A harmless new commit on top of `base`. */
async function touch(base: string, message: string): Promise<string> {
  return gitSteps(
    repo,
    'git reset -q --hard "$1" && git commit -q --allow-empty -m "$2" && git rev-parse HEAD',
    base,
    message,
  );
}

async function release(sha: string): Promise<ReleaseReport> {
  return (await sluice.release({ service: 'checkout', commit: sha })).done;
}

/**
 * Each test starts from alarms that block nothing: one that an earlier test left in ALARM about the live
 * version (a canary that should have been rolled back) returns to OK without traffic within a few periods.
 */
async function quietAlarms(): Promise<void> {
  const live = await sluice.deployTarget.liveVersion(checkout);
  await expect.poll(() => sluice.deployTarget.inAlarm(checkout, live), { timeout: 15_000 }).toEqual([]);
}

const live = () => sluice.deployTarget.liveVersion(checkout);

/** The first release (the seeded commit), then a green canary: what the other tests start from. */
const shipped = once(async () => {
  const first = await release(seededSha);
  const greenSha = await commitOverlay(repo, 'checkout-v2');
  const green = await release(greenSha);
  return {
    first,
    greenSha,
    green,
    greenVersion: green.record?.version,
    transitions: first.transitions,
  };
});

/** A commit on top of the green one from `overlay`, released (once per overlay). */
const badReleases = new Map<string, () => Promise<ReleaseReport>>();
const releasedBad = (overlay: string) => {
  if (!badReleases.has(overlay))
    badReleases.set(
      overlay,
      once(async () => {
        const sha = await commitOn((await shipped()).greenSha, overlay);
        await quietAlarms();
        return release(sha);
      }),
    );
  return badReleases.get(overlay)!();
};

describe('continuous deployment of checkout', () => {
  it('ships the first release, then a green canary under real traffic with the business metric flowing', async () => {
    const { first, green, greenVersion, transitions } = await shipped();
    expect(first).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect(transitions).toBe(9);

    expect(green, green.reason).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect(green.transitions).toBe(transitions);
    expect(await live()).toBe(greenVersion);
    const report = sluice.deployTarget.deploymentReport(green.record!.deploymentId!);
    expect(report.strategy).toBe('Canary10Percent5Minutes');
    expect(report.steps.map((s) => s.percent)).toEqual([10, 100]);
    // A promoted canary's baseline too: the new version against the first one, over the same bake.
    const baseline = (await sluice.ledger.getRelease(green.releaseId))?.baseline;
    expect(baseline).toMatchObject({
      canary: { version: greenVersion, errorRatePercent: 0 },
      previous: { version: first.record?.version, errorRatePercent: 0 },
    });
    expect((await sluice.ledger.getRelease(first.releaseId))?.baseline).toBeUndefined(); // all at once
    // The canary emitted OrdersCompleted (EMF on stdout) for the POST /checkout traffic it served.
    const orders = sluice.deployTarget
      .metrics('checkout')
      .filter((p) => p.version === greenVersion && p.name === 'OrdersCompleted');
    expect(orders.length).toBeGreaterThan(0);
    // The lock is free again and nobody waits.
    const state = await sluice.ledger.getServiceState('checkout');
    expect(state?.lockHolder).toBeUndefined();
    expect(state?.deployQueue ?? []).toEqual([]);
  }, 120_000);

  const rollbackCases = [
    { overlay: 'checkout-bad', alarm: 'sluice-checkout-error-rate' },
    { overlay: 'checkout-slow', alarm: 'sluice-checkout-p99-latency' },
    { overlay: 'checkout-no-orders-metric', alarm: 'sluice-checkout-business' },
  ];
  it("rolls checkout-bad back at its 10% canary by the template's alarm; the alias-level alarm it replaced, on the same traffic, stays under its threshold", async () => {
    const { greenVersion } = await shipped();
    const report = await releasedBad('checkout-bad');
    expect(report.record?.outcome?.alarm).toBe('sluice-checkout-error-rate');
    const canary = sluice.deployTarget.deploymentReport(report.record!.deploymentId!);
    expect(canary.steps.map((s) => s.percent)).toEqual([10, 0]);
    expect(canary.versions[report.record!.version!]!.failed).toBeGreaterThan(0);
    // The baseline Record kept, read from the local CloudWatch's metrics over the bake: the canary failed
    // far more often than the version it was compared with.
    const baseline = (await sluice.ledger.getRelease(report.releaseId))?.baseline;
    expect(baseline?.canary).toMatchObject({ version: report.record!.version });
    expect(baseline?.previous).toMatchObject({ version: greenVersion, errorRatePercent: 0 });
    expect(baseline!.canary.invocations).toBeGreaterThan(0);
    expect(baseline!.previous!.invocations).toBeGreaterThan(baseline!.canary.invocations);
    expect(baseline!.canary.errorRatePercent).toBeGreaterThan(5);
    // The error-rate alarm the service stack had before issue 10 (the live alias: both versions, thrown errors
    // only), evaluated by the same evaluator over the same bake: with half the traffic on GET / and 40% of the
    // canary's failing, the alias's rate is about 2%, under the 5% threshold, while the canary's is about 20%.
    const old = aliasErrorRateAlarm(checkout);
    const aliasRate = sluice.deployTarget.cloudWatch
      .getMetricData(
        old.Metrics as { Id: string; ReturnData?: boolean }[],
        Date.parse(baseline!.start),
        Date.parse(baseline!.end),
      )
      .get('expr_1');
    expect(aliasRate).toBeGreaterThan(0);
    expect(aliasRate).toBeLessThan(old.Threshold as number);
  }, 120_000);

  for (const { overlay, alarm } of rollbackCases) {
    it(`rolls ${overlay} back when ${alarm} fires, stopped through alarm-events`, async () => {
      const { greenVersion, transitions } = await shipped();
      const report = await releasedBad(overlay);
      expect(report, report.reason).toMatchObject({ status: 'rolled_back', endedAt: 'Deploy' });
      // However long the bake: only the DeployFailed Pass state on the failure path adds one.
      expect(report.transitions).toBe(transitions + 1);
      expect(report.record?.outcome?.alarm).toBe(alarm);
      expect(report.record?.stoppedByAlarm).toBe(alarm);
      expect(report.reason).toContain(alarm);
      // The template's alarm, pointed by Deploy at the canary: it judged the new version, not the alias.
      const [described] = sluice.deployTarget.cloudWatch.describeAlarms({ names: [alarm] });
      const judged = described && dimensionValue(described.definition, 'ExecutedVersion');
      expect(judged).toBe(report.record?.version);
      expect(judged).not.toBe(greenVersion);
      const canary = sluice.deployTarget.deploymentReport(report.record!.deploymentId!);
      expect(canary).toMatchObject({ rolledBack: true, alarm, stoppedBy: 'stop-deployment' });
      expect(canary.detectToRollbackMs).toBeGreaterThanOrEqual(0);
      expect(await live()).toBe(greenVersion);
      expect((await sluice.ledger.getServiceState('checkout'))?.liveVersion).toBe(greenVersion);
    }, 120_000);
  }

  it('blocks a release at preflight while an alarm judging the live version is in ALARM, naming it; nothing is deployed', async () => {
    const { greenSha, greenVersion, transitions } = await shipped();
    await quietAlarms();
    // As CloudWatch does, a SetAlarmState would last only until the alarm's next evaluation (a second here), so
    // the hold is real data: the alarms judge the live version, as Deploy left them after the green release, and
    // that version turns slow (the Duration datapoints Lambda would publish for its invocations through live).
    await sluice.deployTarget.judge(checkout, greenVersion!);
    const slow = setInterval(() => {
      const at = Date.now();
      sluice.deployTarget.cloudWatch.putMetricData([
        ...invocationMetrics({
          functionName: 'sluice-checkout',
          version: greenVersion!,
          alias: 'live',
          startedAt: at,
          durationMs: 2000,
          functionError: false,
        }),
        // Orders still complete: only the latency is wrong.
        {
          namespace: 'Sluice/Checkout',
          metricName: 'OrdersCompleted',
          dimensions: { Service: 'checkout', Version: greenVersion! },
          timestamp: at,
          value: 1,
        },
      ]);
    }, 50);
    try {
      await expect
        .poll(() => sluice.deployTarget.cloudWatch.describeAlarms({ state: 'ALARM' }).map((a) => a.name), {
          timeout: 10_000,
        })
        .toContain('sluice-checkout-p99-latency');
      const sha = await touch(greenSha, 'Copy edit');
      const report = await release(sha);
      expect(report).toMatchObject({ status: 'blocked', endedAt: 'Deploy' });
      expect(report.reason).toMatch(/^PreflightBlocked: Preflight: sluice-checkout-p99-latency is in ALARM/);
      expect(report.record?.outcome?.alarm).toBe('sluice-checkout-p99-latency');
      expect(report.record?.deploymentId).toBeUndefined();
      expect(report.transitions).toBe(transitions + 1);
      expect(await live()).toBe(greenVersion);
      expect((await sluice.ledger.getServiceState('checkout'))?.lockHolder).toBeUndefined();
    } finally {
      clearInterval(slow);
    }
    // Without data the alarm is OK again at its next evaluations (TreatMissingData notBreaching).
    await expect
      .poll(() => sluice.deployTarget.cloudWatch.describeAlarms({ state: 'ALARM' }).map((a) => a.name), {
        timeout: 10_000,
      })
      .toEqual([]);
  }, 120_000);

  it('holds an alarm put in ALARM by hand only until its next evaluation, as SetAlarmState does in CloudWatch', async () => {
    const { greenVersion } = await shipped();
    await quietAlarms();
    await sluice.deployTarget.judge(checkout, greenVersion!);
    await sluice.deployTarget.setAlarmState('sluice-checkout-p99-latency', 'ALARM', 'operator hold');
    // No data: the next evaluation (a compressed minute) puts it back to OK, so it blocks no release.
    await expect
      .poll(() => sluice.deployTarget.inAlarm(checkout, greenVersion), { timeout: 10_000 })
      .toEqual([]);
    const [after] = sluice.deployTarget.cloudWatch.describeAlarms({ names: ['sluice-checkout-p99-latency'] });
    expect(after).toMatchObject({ state: 'OK' });
    expect(after?.reason).not.toBe('operator hold');
  }, 30_000);

  it('rolls back by hand to a named release through the runtime API, recorded with who and why', async () => {
    const { first, green, greenVersion } = await shipped();
    const [firstRelease, greenRelease] = [first.releaseId, green.releaseId];
    const before = await live();
    const record = await rollbackLocally(await sluice.runtimeInfo(), {
      service: 'checkout',
      toReleaseId: firstRelease,
      reason: 'prices look wrong since v2',
      requestedBy: 'oncall@example.com',
    });
    expect(record).toMatchObject({
      status: 'succeeded',
      trigger: { source: 'manual', actor: 'oncall@example.com' },
      rollback: {
        requestedBy: 'oncall@example.com',
        reason: 'prices look wrong since v2',
        toReleaseId: firstRelease,
        fromVersion: before,
      },
    });
    const firstVersion = (await sluice.ledger.getRelease(firstRelease))?.version;
    expect(record.rollback?.toVersion).toBe(firstVersion);
    expect(await live()).toBe(firstVersion);
    expect(await sluice.ledger.getServiceState('checkout')).toMatchObject({
      liveVersion: firstVersion,
      liveReleaseId: firstRelease,
    });
    // Without --to: back to the last known-good before the live one (the green release).
    const again = await sluice.rollback({
      service: 'checkout',
      reason: 'v1 was fine after all',
      requestedBy: 'oncall@example.com',
    });
    expect(again.rollback?.toReleaseId).toBe(greenRelease);
    expect(await live()).toBe(greenVersion);
  }, 120_000);

  it('refuses a rollback to a release that never reached production, or of an unknown service, changing nothing', async () => {
    const rolledBack = (await releasedBad('checkout-bad')).record!;
    expect(rolledBack.status).toBe('rolled_back');
    const before = await sluice.ledger.getServiceState('checkout');
    const releases = await sluice.ledger.listReleases('checkout');
    await expect(
      sluice.rollback({
        service: 'checkout',
        toReleaseId: rolledBack.releaseId,
        reason: 'x',
        requestedBy: 'a@example.com',
      }),
    ).rejects.toThrow(
      new RegExp(
        `Release ${rolledBack.releaseId} was never deployed to production \\(it ended rolled_back at Deploy\\)`,
      ),
    );
    await expect(
      rollbackLocally(await sluice.runtimeInfo(), {
        service: 'nope',
        reason: 'x',
        requestedBy: 'a@example.com',
      }),
    ).rejects.toThrow(/Unknown service "nope"; the catalog has: greeter, checkout/);
    await expect(
      sluice.rollback({
        service: 'checkout',
        toReleaseId: 'checkout-000000000000',
        reason: 'x',
        requestedBy: 'a@example.com',
      }),
    ).rejects.toThrow(/not in the ledger/);
    expect(await sluice.ledger.getServiceState('checkout')).toEqual(before);
    expect(await sluice.ledger.listReleases('checkout')).toHaveLength(releases.length);
  }, 60_000);

  it('runs two releases racing for production one after the other: one waits its turn, both recorded', async () => {
    const { greenSha, transitions } = await shipped();
    await quietAlarms();
    const a = await touch(greenSha, 'Race A');
    const b = await touch(a, 'Race B');
    const [runA, runB] = await Promise.all([
      sluice.release({ service: 'checkout', commit: a }),
      sluice.release({ service: 'checkout', commit: b }),
    ]);
    const [reportA, reportB] = await Promise.all([runA.done, runB.done]);
    expect(reportA, reportA.reason).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect(reportB, reportB.reason).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect(reportA.transitions).toBe(transitions);
    expect(reportB.transitions).toBe(transitions);
    const deployments = [reportA, reportB]
      .map((r) => sluice.deployTarget.deploymentReport(r.record!.deploymentId!))
      .sort((x, y) => x.startedAt.localeCompare(y.startedAt));
    // The second deployment started only after the first had ended: never two at once.
    expect(
      defined(deployments[1], 'the second deployment').startedAt >= (deployments[0]?.endedAt ?? ''),
    ).toBe(true);
    expect(deployments[1]?.fromVersion).toBe(deployments[0]?.toVersion);
    const state = await sluice.ledger.getServiceState('checkout');
    expect(state?.lockHolder).toBeUndefined();
    expect(state?.deployQueue ?? []).toEqual([]);
    expect(state?.liveVersion).toBe(deployments[1]?.toVersion);
  }, 180_000);
});
