/**
 * Evidence-based graduation end to end in the local runtime: an `auto` service runs in delivery, earns
 * deployment with clean releases and rubber-stamp approvals, is demoted by a rolled-back release, and does
 * not flap on alternating outcomes. Real state machine, handlers, DynamoDB Local, approval page, canary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideViaPage } from '../../local/approve-via-page';
import { commitOverlay, gitScript, seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice, ReleaseReport } from '../../local/runtime';
import { collectStatus } from '../../local/status/status';
import { once } from '../support/once';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const EXAMPLE_CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

let sluice: LocalSluice;
let repo: string;
let initialSha: string;

beforeAll(async () => {
  const root = testTempDir('graduation-');
  const example = JSON.parse(readFileSync(EXAMPLE_CATALOG, 'utf8'));
  const checkout = example.services.find((s: { name: string }) => s.name === 'checkout');
  const catalogFile = join(root, 'sluice.catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        {
          ...checkout,
          mode: 'auto',
          approval: { approvers: ['alice@example.com'], required: 1, channels: ['email'] },
          readiness: { minCleanReleases: 2, rubberStampSeconds: 60 },
        },
      ],
    }),
  );
  const reposDir = join(root, 'repos');
  ({ repo, sha: initialSha } = await seedRepository(reposDir, 'checkout'));
  sluice = await startLocalSluice({
    catalogFile,
    stateDir: join(root, 'state'),
    reposDir,
    timeScale: 120,
    trafficPerSecond: 60,
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

/** Releases `sha`; when it waits at the gate, approves at once with no comment (a rubber stamp). */
async function release(sha: string): Promise<ReleaseReport> {
  const started = await sluice.release({ service: 'checkout', commit: sha });
  const gateOrEnd = await Promise.race([
    started.done.then(() => 'ended' as const),
    sluice.waitForApprovalLink(started.releaseId, 60_000).then((l) => l),
  ]);
  if (gateOrEnd !== 'ended') {
    expect((await decideViaPage(gateOrEnd.link, { decision: 'approve' })).status).toBe(200);
  }
  return started.done;
}

/** Reverts the newest commit (the bad one), as a developer fixing forward would. */
async function revertHead(): Promise<string> {
  const dana = { name: 'Dana', email: 'dana@example.com' };
  return gitScript(dana, repo, 'git revert --no-edit HEAD >/dev/null && git rev-parse HEAD');
}

const mode = async () => (await sluice.ledger.getServiceMode('checkout'))?.mode ?? 'delivery';

/** Two clean releases with rubber-stamp approvals: the service graduates to deployment. */
const graduated = once(async () => {
  const first = await release(initialSha);
  const modeAfterFirst = await mode();
  const second = await release(await commitOverlay(repo, 'checkout-v2'));
  return { first, modeAfterFirst, second };
});
/** Then a release that is rolled back: the service is demoted. */
const demoted = once(async () => {
  await graduated();
  return release(await commitOverlay(repo, 'checkout-bad'));
});

describe('auto mode', () => {
  it('starts in delivery and graduates after two clean releases with rubber-stamp approvals', async () => {
    const { first, modeAfterFirst, second } = await graduated();
    expect(first).toMatchObject({ status: 'succeeded', mode: 'delivery' });
    expect(first.stages.map((s) => s.state)).toContain('RequestApproval');
    expect(modeAfterFirst).toBe('delivery');

    expect(second).toMatchObject({ status: 'succeeded', mode: 'delivery' });
    expect(await mode()).toBe('deployment');
    const [promotion] = await sluice.ledger.listModeSwitches('checkout');
    expect(promotion).toMatchObject({ from: 'delivery', mode: 'deployment', releaseId: second.releaseId });
    expect(promotion?.evidence).toMatchObject({
      ready: true,
      consecutiveCleanReleases: 2,
      approvals: { decided: 2, rubberStamp: true },
      shadow: { decided: 2, agreed: 2 },
    });
    expect(second.record?.shadow).toMatchObject({ verdict: 'would_ship', agrees: true });
  }, 120_000);

  it('ships the next release without a person, and demotes the service when it is rolled back', async () => {
    await graduated();
    expect(await mode()).toBe('deployment');
    const bad = await demoted();
    expect(bad).toMatchObject({ status: 'rolled_back', mode: 'deployment' });
    expect(bad.stages.map((s) => s.state)).not.toContain('RequestApproval');
    expect(await mode()).toBe('delivery');
    const [demotion] = await sluice.ledger.listModeSwitches('checkout');
    expect(demotion).toMatchObject({ from: 'deployment', mode: 'delivery', releaseId: bad.releaseId });
    expect(demotion?.reason).toMatch(/rolled back in production/);
  }, 120_000);

  it('does not flap on alternating outcomes: it needs a fresh clean streak', async () => {
    await demoted();
    const modes: string[] = [];
    const statuses: string[] = [];
    // Fix, break, fix: each fix reverts the bad commit before it.
    for (const next of [revertHead, () => commitOverlay(repo, 'checkout-bad'), revertHead]) {
      const report = await release(await next());
      expect(report.mode).toBe('delivery');
      statuses.push(report.status);
      modes.push(await mode());
    }
    expect(statuses).toEqual(['succeeded', 'rolled_back', 'succeeded']);
    expect(modes).toEqual(['delivery', 'delivery', 'delivery']);
    expect(await sluice.ledger.listModeSwitches('checkout')).toHaveLength(2);

    const status = await collectStatus(sluice.ledger, sluice.catalog, {
      now: new Date(),
      periodMs: 86_400_000,
    });
    const [checkout] = status.services;
    expect(checkout).toMatchObject({ configuredMode: 'auto', mode: 'delivery' });
    expect(checkout?.readiness?.ready).toBe(false);
    expect(checkout?.readiness?.consecutiveCleanReleases).toBe(1);
    // 6 releases: 4 succeeded, 2 rolled back.
    expect(status.dora.overall).toMatchObject({
      releases: 6,
      deployments: 4,
      productionReleases: 6,
      failedProductionReleases: 2,
    });
  }, 180_000);
});
