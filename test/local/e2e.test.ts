/**
 * End to end through the local runtime: the state machine CDK renders, run by the ASL interpreter, every task
 * bound to its real handler module, the ledger in DynamoDB Local, the approval page over real HTTP, and the
 * canary on real local processes with real traffic.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../../lambdas/core/defined';
import { decideViaPage } from '../../local/approve-via-page';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice, ReleaseReport } from '../../local/runtime';
import { gitSteps } from '../support/git';
import { once } from '../support/once';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

let sluice: LocalSluice;
let root: string;
const repos: Record<string, { repo: string; sha: string }> = {};

beforeAll(async () => {
  root = testTempDir('e2e-');
  const reposDir = join(root, 'repos');
  repos.greeter = await seedRepository(reposDir, 'greeter');
  repos.checkout = await seedRepository(reposDir, 'checkout');
  sluice = await startLocalSluice({
    catalogFile: CATALOG,
    stateDir: join(root, 'state'),
    reposDir,
    timeScale: 60,
    trafficPerSecond: 60,
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

async function release(service: string, commit: string): Promise<ReleaseReport> {
  const started = await sluice.release({ service, commit });
  return started.done;
}

/** Commits a file straight into a service's repository (for cases no overlay covers). */
async function commitFile(repo: string, path: string, content: string, message: string): Promise<string> {
  writeFileSync(join(repo, path), content);
  return gitSteps(repo, 'git commit -qam "$1" && git rev-parse HEAD', message);
}

/** The first checkout release (the seeded commit), live. */
const checkoutFirst = once(() => release('checkout', defined(repos.checkout?.sha, 'repos.checkout.sha')));
/** Then a green commit through the canary, live. */
const checkoutGreen = once(async () => {
  await checkoutFirst();
  return release(
    'checkout',
    await commitOverlay(defined(repos.checkout?.repo, 'repos.checkout.repo'), 'checkout-v2'),
  );
});

describe('continuous deployment (checkout)', () => {
  it('ships the first release without a person', async () => {
    const report = await checkoutFirst();
    expect(report).toMatchObject({ status: 'succeeded', endedAt: 'Deploy', mode: 'deployment' });
    expect(report.stages.map((s) => s.state)).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'Deploy',
      'Record',
    ]);
    const firstVersion = report.record?.version;
    expect(firstVersion).toBeDefined();
    expect(
      await sluice.deployTarget.liveVersion(
        defined(sluice.catalog.services[1], 'sluice.catalog.services[1]'),
      ),
    ).toBe(firstVersion);
    expect(report.transitions).toBeLessThanOrEqual(12);
  });

  it('ships a green commit through the canary, with as many transitions as an instant deploy', async () => {
    const first = await checkoutFirst();
    const report = await checkoutGreen();
    expect(report).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    const greenVersion = report.record?.version;
    expect(greenVersion).not.toBe(first.record?.version);
    expect(report.record?.stages.Deploy?.detail).toContain('Canary10Percent5Minutes');
    // The bake took seconds of real traffic, yet the execution waited on a task token: no extra transitions.
    expect(report.transitions).toBe(first.transitions);
    const state = await sluice.ledger.getServiceState('checkout');
    expect(state).toMatchObject({ liveVersion: greenVersion, liveReleaseId: report.releaseId });
  });

  it('rolls a bad commit back when its error-rate alarm fires under real traffic', async () => {
    const greenVersion = (await checkoutGreen()).record?.version;
    const sha = await commitOverlay(defined(repos.checkout?.repo, 'repos.checkout.repo'), 'checkout-bad');
    const report = await release('checkout', sha);
    expect(report).toMatchObject({ status: 'rolled_back', endedAt: 'Deploy' });
    expect(report.reason).toMatch(/sluice-checkout-error-rate/);
    const deploymentId = report.record?.deploymentId;
    expect(deploymentId).toBeDefined();
    const canary = sluice.deployTarget.deploymentReport(deploymentId!);
    expect(canary.detectToRollbackMs).toBeGreaterThanOrEqual(0);
    // The previous version serves 100% again and the ledger still names it live.
    expect(
      await sluice.deployTarget.liveVersion(
        defined(sluice.catalog.services[1], 'sluice.catalog.services[1]'),
      ),
    ).toBe(greenVersion);
    expect((await sluice.ledger.getServiceState('checkout'))?.liveVersion).toBe(greenVersion);
    const router = sluice.deployTarget.routerUrl('checkout');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${router}/`).then((r) => r.status)),
    );
    expect(answers.every((status) => status === 200)).toBe(true);
  });
});

describe('continuous delivery (greeter)', () => {
  it('waits at the gate until a person approves through the page, then deploys', async () => {
    const started = await sluice.release({ service: 'greeter', commit: repos.greeter?.sha });
    const { link, approver } = await sluice.waitForApprovalLink(started.releaseId);
    expect(link.startsWith(`${sluice.web.url}/approvals/`)).toBe(true);
    expect(link).not.toMatch(/local-task-/); // the task token never appears in a link
    // A scanner's GET changes nothing.
    expect((await fetch(link)).status).toBe(200);
    const approvalId = new URL(link).pathname.split('/').pop()!;
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('pending');

    const decision = await decideViaPage(link, { decision: 'approve', comment: 'looks good' });
    expect(decision.status).toBe(200);
    const report = await started.done;
    expect(report).toMatchObject({ status: 'succeeded', endedAt: 'Deploy', mode: 'delivery' });
    // The deployment path's states plus RequestApproval, ApprovalDecision and ScheduledRelease (which passes at
    // once without a release time): 12, however long the person took.
    expect(report.transitions).toBe(12);
    expect(report.stages.map((s) => s.state)).toEqual([
      'LoadService',
      'Build',
      'Test',
      'Stage',
      'RequestApproval',
      'Deploy',
      'Record',
    ]);
    expect(report.record?.stages.Approval?.detail).toBe(`approved by ${approver}`);
    expect(await sluice.ledger.getApproval(approvalId)).toMatchObject({
      status: 'approved',
      decidedBy: approver,
      comment: 'looks good',
    });
    // A second use of the link is refused.
    expect((await fetch(link)).status).toBe(200);
    await expect(decideViaPage(link, { decision: 'reject' })).rejects.toThrow(/no form/);
  });

  it('ends a rejected release at Approval and deploys nothing', async () => {
    const before = await sluice.ledger.getServiceState('greeter');
    const sha = await commitOverlay(defined(repos.greeter?.repo, 'repos.greeter.repo'), 'greeter-v2');
    const started = await sluice.release({ service: 'greeter', commit: sha });
    const { link } = await sluice.waitForApprovalLink(started.releaseId);
    expect((await decideViaPage(link, { decision: 'reject', comment: 'not during the sale' })).status).toBe(
      200,
    );
    const report = await started.done;
    expect(report).toMatchObject({ status: 'rejected', endedAt: 'Approval' });
    expect(report.reason).toMatch(/not during the sale/);
    expect(report.stages.map((s) => s.state)).not.toContain('Deploy');
    expect((await sluice.ledger.getServiceState('greeter'))?.liveVersion).toBe(before?.liveVersion);
  });

  it('stops a commit whose tests fail at Test, and deploys nothing', async () => {
    const before = await sluice.ledger.getServiceState('greeter');
    const sha = await commitOverlay(
      defined(repos.greeter?.repo, 'repos.greeter.repo'),
      'greeter-failing-tests',
    );
    const report = await release('greeter', sha);
    expect(report).toMatchObject({ status: 'failed', endedAt: 'Test' });
    expect(report.reason).toMatch(/^TestsFailedError: \d+ of \d+ tests failed: greets/);
    expect(report.record?.stages.Stage).toBeUndefined();
    expect((await sluice.ledger.getServiceState('greeter'))?.liveVersion).toBe(before?.liveVersion);
  });
});

describe('bad input ends in a clear, recorded outcome', () => {
  it('records a build failure with the compiler message', async () => {
    const sha = await commitOverlay(defined(repos.greeter?.repo, 'repos.greeter.repo'), 'broken-build');
    const report = await release('greeter', sha);
    expect(report).toMatchObject({ status: 'failed', endedAt: 'Build' });
    expect(report.reason).toMatch(/^BuildFailedError: Build of greeter failed:\n.*src\/handler\.ts:\d+:\d+/);
    expect(report.record?.stages.Build?.status).toBe('failed');
  });

  it('records a repository without the declared entry point', async () => {
    const sha = await commitOverlay(defined(repos.greeter?.repo, 'repos.greeter.repo'), 'missing-entry');
    const report = await release('greeter', sha);
    expect(report).toMatchObject({ status: 'failed', endedAt: 'Build' });
    expect(report.reason).toMatch(/EntryPointNotFoundError: Entry point src\/handler\.ts not found/);
  });

  it('records a handler that throws outside its tests as a failed smoke test at Stage', async () => {
    // Passes its own tests (NODE_ENV=test) but cannot start for real: a missing setting at init.
    const handlerFile = join(defined(repos.checkout?.repo, 'repos.checkout.repo'), 'src', 'handler.ts');
    const original = readFileSync(handlerFile, 'utf8');
    const sha = await commitFile(
      defined(repos.checkout?.repo, 'repos.checkout.repo'),
      'src/handler.ts',
      `if (process.env.NODE_ENV !== 'test') throw new Error('DATABASE_URL is not set');\n${original}`,
      'Require DATABASE_URL',
    );
    const report = await release('checkout', sha);
    expect(report).toMatchObject({ status: 'failed', endedAt: 'Stage' });
    expect(report.reason).toMatch(/^SmokeTestFailedError: .*DATABASE_URL is not set/);
    expect(report.record?.stages.Test?.status).toBe('succeeded');
    await commitFile(
      defined(repos.checkout?.repo, 'repos.checkout.repo'),
      'src/handler.ts',
      original,
      'Revert',
    );
  });

  it('records an unknown service at LoadService, naming the services the catalog has', async () => {
    const report = await release('no-such-service', 'abcdef123456');
    expect(report).toMatchObject({ status: 'failed', endedAt: 'LoadService' });
    expect(report.reason).toMatch(
      /UnknownServiceError: Unknown service "no-such-service".*greeter, checkout/,
    );
    expect(report.record?.outcome?.status).toBe('failed');
  });

  it('treats a second start of the same service and commit as the same release', async () => {
    const first = await sluice.release({ service: 'no-such-service', commit: '0123456789ab' });
    const again = await sluice.release({ service: 'no-such-service', commit: '0123456789ab' });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ releaseId: first.releaseId, duplicate: true });
    // One execution: the second start's outcome is the first's.
    expect(await again.done).toBe(await first.done);
    expect(sluice.executions().get(first.releaseId)?.done).toBe(first.done);
  });
});
