/**
 * `sluice cancel`, on the real local runtime (DynamoDB Local, the real ASL interpreter, the local CodeDeploy
 * under real traffic, the CLI's HTTP API): at the gate, during a canary, in the production lock's queue and
 * anywhere else, each recorded as cancelled with who and why; a stopped execution frees the lock for the queued
 * release; and bad input is refused with exit 1 and no change. Every wait is on an observable event (a state
 * entered, a ledger state, a traffic step), never on a guessed duration.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceConfig } from '../../lambdas/core/model';
import { executionNameOf } from '../../lambdas/core/push-routing';
import { readFormFields } from '../../local/approve-via-page';
import { runCli } from '../../local/cli/dispatch';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import type { LambdaHandler } from '../../local/handlers';
import type { LocalSluice, ReleaseRun } from '../../local/runtime';
import { once } from '../support/once';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

let sluice: LocalSluice;
let root: string;
let stateDir: string;
let repos: { checkout: { repo: string; sha: string }; greeter: { repo: string; sha: string } };
/** Releases whose Test waits until the test lets it go (a long test run, to cancel mid-execution). */
const heldTests = new Map<string, Promise<void>>();
/** Releases whose Deploy waits until the test lets it go (so it reaches the lock while another one holds it). */
const heldDeploys = new Map<string, Promise<void>>();

beforeAll(async () => {
  root = testTempDir('cancel-');
  stateDir = join(root, 'state');
  const reposDir = join(root, 'repos');
  repos = {
    checkout: await seedRepository(reposDir, 'checkout'),
    greeter: await seedRepository(reposDir, 'greeter'),
  };
  sluice = await startLocalSluice({
    catalogFile: CATALOG,
    stateDir,
    reposDir,
    timeScale: 60,
    trafficPerSecond: 60,
    wrapHandler: (name, handler): LambdaHandler => {
      const held = name === 'run-tests' ? heldTests : name === 'deploy' ? heldDeploys : undefined;
      if (!held) return handler;
      return async (event, context) => {
        await held.get((event as { releaseId: string }).releaseId);
        return handler(event, context);
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(args);
    return {
      code,
      out: out.mock.calls.map((c) => String(c[0])).join(''),
      err: err.mock.calls.map((c) => String(c[0])).join(''),
    };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const cancel = (releaseId: string, ...rest: string[]) =>
  cli(['cancel', releaseId, '--state-dir', stateDir, ...rest]);

/** Resolves once `check` holds; it reads observable state (the ledger, the deploy target), never the clock. */
async function until<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const checkoutConfig = () => sluice.catalog.services.find((s) => s.name === 'checkout') as ServiceConfig;

/** checkout's first release (all at once): later releases of it run a canary from its version. */
const shippedCheckout = once(async () => {
  const report = await (await sluice.release({ service: 'checkout', commit: repos.checkout.sha })).done;
  expect(report.status, report.reason).toBe('succeeded');
  return report;
});

/** Resolves once the canary of `deploymentId` serves 10% of live traffic. */
async function inCanary(releaseId: string): Promise<string> {
  const deploymentId = await until(async () => (await sluice.ledger.getRelease(releaseId))?.deploymentId);
  await until(() => sluice.deployTarget.deploymentReport(deploymentId).steps.some((s) => s.percent === 10));
  return deploymentId;
}

/** Releases a new checkout commit and resolves once its canary serves 10% of live traffic. */
async function checkoutInCanary(): Promise<{ run: ReleaseRun; deploymentId: string }> {
  const sha = await commitOverlay(repos.checkout.repo, 'checkout-v2');
  const run = await sluice.release({ service: 'checkout', commit: sha });
  return { run, deploymentId: await inCanary(run.releaseId) };
}

/**
 * Two new checkout releases: the holder, in its canary, and one queued behind it for the lock. The second one's
 * Deploy is held until the holder's canary runs, so it always finds the lock taken, however slow the machine.
 */
async function holderAndQueued(): Promise<{ holder: ReleaseRun; queued: ReleaseRun; deploymentId: string }> {
  const holderSha = await commitOverlay(repos.checkout.repo, 'checkout-v2');
  const queuedSha = await commitOverlay(repos.checkout.repo, 'checkout-v2');
  const deployQueued = Promise.withResolvers<void>();
  heldDeploys.set(`checkout-${queuedSha.slice(0, 12)}`, deployQueued.promise);
  const holder = await sluice.release({ service: 'checkout', commit: holderSha });
  const queued = await sluice.release({ service: 'checkout', commit: queuedSha });
  const deploymentId = await inCanary(holder.releaseId);
  expect((await sluice.ledger.getServiceState('checkout'))?.lockHolder).toBe(holder.releaseId);
  deployQueued.resolve();
  await until(async () =>
    (await sluice.ledger.getServiceState('checkout'))?.deployQueue?.some(
      (q) => q.releaseId === queued.releaseId,
    ),
  );
  return { holder, queued, deploymentId };
}

describe('sluice cancel RELEASE --reason TEXT [--as EMAIL]', () => {
  it('at the gate: the approval ends as cancelled, its link says so and takes no approval, and the release is recorded as cancelled', async () => {
    const sha = await commitOverlay(repos.greeter.repo, 'greeter-v2');
    const run = await sluice.release({ service: 'greeter', commit: sha });
    const { link } = await sluice.waitForApprovalLink(run.releaseId);
    // The approver had the page open before the cancel: its form is what a late click would post.
    const form = readFormFields(await (await fetch(link)).text());

    const result = await cancel(run.releaseId, '--reason', 'wrong commit', '--as', 'dana@example.com');
    expect(result.err).toBe('');
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toMatch(/its approval request ended as cancelled/);
    const report = await run.done;

    expect(report).toMatchObject({
      status: 'cancelled',
      endedAt: 'Approval',
      reason: 'Cancelled by dana@example.com: wrong commit',
    });
    expect(report.record?.cancellation).toMatchObject({
      requestedBy: 'dana@example.com',
      reason: 'wrong commit',
      action: 'gate',
    });
    const [approval] = (await sluice.ledger.listApprovals('greeter')).filter(
      (a) => a.releaseId === run.releaseId,
    );
    expect(approval).toMatchObject({
      status: 'cancelled',
      decidedBy: 'dana@example.com',
      comment: 'wrong commit',
    });
    expect((await sluice.ledger.listAudit(approval!.approvalId)).map((e) => e.kind)).toContain('cancelled');

    const page = await fetch(link);
    expect(page.status).toBe(410);
    expect(await page.text()).toMatch(/This release was <strong>cancelled<\/strong> by dana@example.com/);
    const late = await fetch(new URL(new URL(link).pathname, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, decision: 'approve', comment: '' }).toString(),
    });
    expect(late.status).toBe(410);
    expect((await sluice.ledger.getApproval(approval!.approvalId))?.status).toBe('cancelled');

    const status = await cli(['status', '--service', 'greeter', '--state-dir', stateDir]);
    expect(status.out).toMatch(/cancelled by dana@example.com at \S+: wrong commit/);
    const statusPage = await (await fetch(`${sluice.web.url}/?service=greeter`)).text();
    expect(statusPage).toContain('<td class="cancelled">cancelled</td>');
    expect(statusPage).toContain('Cancelled by dana@example.com: wrong commit');
  }, 120_000);

  it('during a canary: StopDeployment with rollback, the previous version serves 100% again, then recorded as cancelled', async () => {
    const first = await shippedCheckout();
    const { run, deploymentId } = await checkoutInCanary();

    const result = await cancel(run.releaseId, '--reason', 'customer complaint', '--as', 'dana@example.com');
    expect(result.out).toMatch(/stopping with rollback to the previous version/);
    const report = await run.done;

    expect(report).toMatchObject({
      status: 'cancelled',
      endedAt: 'Deploy',
      reason: 'Cancelled by dana@example.com: customer complaint',
    });
    const deployment = sluice.deployTarget.deploymentReport(deploymentId);
    expect(deployment.rolledBack).toBe(true);
    expect(deployment.steps.map((s) => s.percent)).toEqual([10, 0]);
    expect(await sluice.deployTarget.liveVersion(checkoutConfig())).toBe(first.record?.version);
    const state = await sluice.ledger.getServiceState('checkout');
    expect(state?.lockHolder).toBeUndefined();
    expect(state?.liveReleaseId).toBe(first.releaseId);
  }, 180_000);

  it('in the queue: it leaves the queue and is recorded as cancelled; the lock holder deploys on, untouched', async () => {
    await shippedCheckout();
    const { holder, queued } = await holderAndQueued();

    const result = await cancel(
      queued.releaseId,
      '--reason',
      'batching it with the next one',
      '--as',
      'dana@example.com',
    );
    expect(result.out).toMatch(/it left the production lock’s queue/);
    const report = await queued.done;

    expect(report).toMatchObject({ status: 'cancelled', endedAt: 'Deploy' });
    expect(report.record?.deploymentId).toBeUndefined();
    const state = await sluice.ledger.getServiceState('checkout');
    expect(state?.lockHolder).toBe(holder.releaseId);
    expect(state?.deployQueue ?? []).toEqual([]);
    expect((await holder.done).status).toBe('succeeded');
  }, 180_000);

  it('anywhere else (here, during Test): StopExecution ends the execution ABORTED, recorded as cancelled through execution-events', async () => {
    const sha = await commitOverlay(repos.greeter.repo, 'greeter-v2');
    const releaseId = `greeter-${sha.slice(0, 12)}`;
    const held = Promise.withResolvers<void>();
    heldTests.set(releaseId, held.promise);
    const run = await sluice.release({ service: 'greeter', commit: sha });
    await sluice.waitForState(releaseId, 'Test');

    const result = await cancel(releaseId, '--reason', 'pushed by mistake', '--as', 'dana@example.com');
    expect(result.out).toMatch(/its execution is stopping/);
    const report = await run.done;
    held.resolve();

    expect(report).toMatchObject({
      status: 'cancelled',
      endedAt: 'Test',
      reason: 'Cancelled by dana@example.com: pushed by mistake',
    });
    expect(sluice.stopper.isRunning(executionNameOf(releaseId))).toBe(false);
  }, 120_000);

  it('stopping an execution mid-deployment (as in the console) frees the lock, and the queued release deploys', async () => {
    await shippedCheckout();
    const { holder, queued, deploymentId } = await holderAndQueued();

    const token = (await sluice.ledger.getRelease(holder.releaseId))?.deployTaskToken;
    expect(token).toBeDefined();
    await sluice.stopper.stop(executionNameOf(holder.releaseId), 'Console', 'stopped in the console');
    const stopped = await holder.done;
    // Its paused Deploy task went with it: its token resumes nothing any more (Step Functions: TaskTimedOut).
    await expect(sluice.ports.tasks.succeed(token!, {})).rejects.toMatchObject({
      name: 'TaskTokenExpiredError',
    });

    expect(stopped).toMatchObject({ status: 'aborted', endedAt: 'Deploy' });
    expect(stopped.reason).toMatch(
      /^The execution was stopped before its outcome was recorded \(Console: stopped in the console\)/,
    );
    expect((await sluice.deployTarget.waitForDeployment(deploymentId)).rolledBack).toBe(true);
    const next = await queued.done;
    expect(next.status, next.reason).toBe('succeeded');
    expect(await sluice.deployTarget.liveVersion(checkoutConfig())).toBe(next.record?.version);
    expect((await sluice.ledger.getServiceState('checkout'))?.lockHolder).toBeUndefined();
  }, 240_000);

  it('refuses, with exit 1, a clear message and no change: a finished release, an unknown one, no --reason', async () => {
    const finished = await shippedCheckout();
    const before = await sluice.ledger.getRelease(finished.releaseId);

    const ended = await cancel(finished.releaseId, '--reason', 'x', '--as', 'dana@example.com');
    expect(ended.code).toBe(1);
    expect(ended.err).toMatch(
      new RegExp(
        `Release ${finished.releaseId} cannot be cancelled: it has already ended succeeded at Deploy\\. Nothing changed; .*sluice rollback`,
      ),
    );
    const unknown = await cancel('checkout-000000000000', '--reason', 'x', '--as', 'dana@example.com');
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err).toMatch(/Release checkout-000000000000 is not in the ledger/);
    const noReason = await cancel(finished.releaseId, '--as', 'dana@example.com');
    expect(noReason).toMatchObject({ code: 1 });
    expect(noReason.err).toMatch(/--reason is required/);
    const blank = await cancel(finished.releaseId, '--reason', '  ', '--as', 'dana@example.com');
    expect(blank.code).toBe(1);

    expect(await sluice.ledger.getRelease(finished.releaseId)).toEqual(before);
    expect(await sluice.ledger.getRelease('checkout-000000000000')).toBeUndefined();
  }, 120_000);
});
