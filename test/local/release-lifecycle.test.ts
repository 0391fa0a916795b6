/**
 * Nothing stays stuck, on the real local runtime: an execution that ends without Record writing its outcome
 * reaches execution-events through the synthesized "Step Functions Execution Status Change" rule, which
 * records the outcome and frees the production lock.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameOf } from '../../lambdas/core/push-routing';
import { RetryRefusedError, retryRelease } from '../../lambdas/core/retry';
import { decideViaPage } from '../../local/approve-via-page';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import type { LambdaHandler } from '../../local/handlers';
import type { LocalSluice } from '../../local/runtime';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

class FlakyTestError extends Error {
  override readonly name = 'FlakyTestError';
}

/** A Record failure no retrier matches: the Catch ends the execution in RecordFailed. */
class InjectedRecordError extends Error {
  override readonly name = 'InjectedRecordError';
}

let sluice: LocalSluice;
let root: string;
let checkout: { repo: string; sha: string };
let greeter: { repo: string; sha: string };
/** Releases whose Record fails (the injected fault). */
const failRecordOf = new Set<string>();
/** Releases whose first attempt's Test fails (a flaky test). */
const flakyTestOf = new Set<string>();
const handled: { handler: string; result: unknown }[] = [];

beforeAll(async () => {
  root = testTempDir('lifecycle-');
  const reposDir = join(root, 'repos');
  checkout = await seedRepository(reposDir, 'checkout');
  greeter = await seedRepository(reposDir, 'greeter');
  sluice = await startLocalSluice({
    catalogFile: CATALOG,
    stateDir: join(root, 'state'),
    reposDir,
    timeScale: 60,
    trafficPerSecond: 60,
    wrapHandler: (name, handler): LambdaHandler => {
      if (name === 'record') {
        return async (event, context) => {
          const { releaseId } = event as { releaseId: string };
          if (failRecordOf.has(releaseId))
            throw new InjectedRecordError(`Record of ${releaseId} failed (injected)`);
          return handler(event, context);
        };
      }
      if (name === 'run-tests') {
        return async (event, context) => {
          const { releaseId, attempt } = event as { releaseId: string; attempt?: number };
          if (flakyTestOf.has(releaseId) && (attempt ?? 1) === 1)
            throw new FlakyTestError('checkout.test.ts timed out once');
          return handler(event, context);
        };
      }
      if (name === 'execution-events') {
        return async (event, context) => {
          const result = await handler(event, context);
          handled.push({ handler: name, result });
          return result;
        };
      }
      return handler;
    },
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

describe('an execution that ends without its outcome recorded', () => {
  it('is recorded and frees the production lock through the status-change path when Record fails for good', async () => {
    const releaseId = `checkout-${checkout.sha.slice(0, 12)}`;
    failRecordOf.add(releaseId);

    const report = await (await sluice.release({ service: 'checkout', commit: checkout.sha })).done;

    expect(report.releaseId).toBe(releaseId);
    // Deploy ran (the lock was taken), then Record failed: the execution ended FAILED in RecordFailed.
    expect(report.stages.map((s) => s.state)).toContain('Deploy');
    expect(handled).toEqual([{ handler: 'execution-events', result: 'recorded' }]);
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/^The execution failed before its outcome was recorded \(RecordFailed: /);
    expect((await sluice.ledger.getServiceState('checkout'))?.lockHolder).toBeUndefined();

    // The next release of the service takes the lock and deploys: nothing waits for the failed one.
    failRecordOf.clear();
    const next = await (
      await sluice.release({ service: 'checkout', commit: await commitOverlay(checkout.repo, 'checkout-v2') })
    ).done;
    expect(next.status).toBe('succeeded');
    expect(handled).toHaveLength(1); // a green execution sends no event to the rule
  }, 180_000);
});

describe('an execution stopped at the gate (StopExecution, the console)', () => {
  it('is recorded as aborted, and its approval ends: the link says the release ended and takes no decision', async () => {
    const run = await sluice.release({ service: 'greeter', commit: greeter.sha });
    const { link } = await sluice.waitForApprovalLink(run.releaseId);
    const approvalId = new URL(link).pathname.split('/').pop() ?? '';
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('pending');

    await sluice.stopper.stop(run.releaseId, 'Stopped', 'stopped in the console');
    const report = await run.done;

    expect(report).toMatchObject({ status: 'aborted', endedAt: 'Approval' });
    expect(handled.at(-1)).toEqual({ handler: 'execution-events', result: 'recorded' });
    const reason =
      'The execution was stopped before its outcome was recorded (Stopped: stopped in the console)';
    expect(report.reason).toBe(reason);
    expect(await sluice.ledger.getApproval(approvalId)).toMatchObject({ status: 'aborted', comment: reason });
    expect((await sluice.ledger.listAudit(approvalId)).map((a) => a.kind)).toContain('aborted');
    const page = await fetch(link);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain(`This release <strong>ended</strong> before a decision (${reason})`);
    expect((await decideViaPage(link, { decision: 'approve' })).status).toBe(410);
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('aborted');
  }, 180_000);
});

describe('sluice retry (the next attempt of a release)', () => {
  it('retries a release a flaky test failed: attempt 2 succeeds, the ledger keeps both, and a duplicate push starts nothing', async () => {
    const sha = await commitOverlay(checkout.repo, 'checkout-v2');
    const releaseId = `checkout-${sha.slice(0, 12)}`;
    flakyTestOf.add(releaseId);
    const first = await (await sluice.release({ service: 'checkout', commit: sha })).done;
    expect(first).toMatchObject({ status: 'failed', endedAt: 'Test' });

    const next = await retryRelease(
      { releaseId, reason: 'flaky checkout test', requestedBy: 'dana@example.com' },
      sluice.ports,
    );
    expect(next).toMatchObject({ releaseId, attempt: 2, commit: sha });
    const second = await sluice.executions().get(executionNameOf(releaseId, 2))?.done;

    expect(second?.status).toBe('succeeded');
    const record = await sluice.ledger.getRelease(releaseId);
    expect(record).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      retry: { requestedBy: 'dana@example.com', reason: 'flaky checkout test' },
    });
    expect(record?.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'failed',
        outcome: expect.objectContaining({ stage: 'Test' }),
      }),
    ]);
    expect(record?.attempts?.[0]?.stages.Test?.status).toBe('failed');
    expect(record?.stages.Test?.status).toBe('succeeded');
    // DORA counts the release once: attempt 1's Record published Releases, attempt 2's published its deployment.
    const lines = readFileSync(join(root, 'state', 'metrics', 'releases.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { releaseId: string; datapoints: { name: string }[] })
      .filter((line) => line.releaseId === releaseId)
      .map((line) => line.datapoints.map((p) => p.name));
    expect(lines).toEqual([['Releases'], expect.arrayContaining(['Deployments', 'LeadTimeSeconds'])]);
    expect(lines[1]).not.toContain('Releases');
    // Built once: attempt 2 promoted the artifact attempt 1 built, its sha256 checked against the ledger's.
    const built = record?.attempts?.[0]?.stages.Build?.detail;
    expect(record?.artifact).toMatchObject({ attempt: 1, commit: sha });
    expect(built).toContain(`sha256 ${record?.artifact?.sha256.slice(0, 12)}`);
    expect(record?.stages.Build?.detail).toMatch(
      new RegExp(
        `^promoted the artifact attempt 1 built: \\d+ bytes, sha256 ${record?.artifact?.sha256.slice(0, 12)} verified$`,
      ),
    );

    // The push's own execution (attempt 1) exists: a repeated delivery starts nothing.
    const again = await sluice.startExecution({
      releaseId,
      service: 'checkout',
      commit: sha,
      trigger: { source: 'local-git' },
    });
    expect(again.duplicate).toBe(true);
    // And the release is not retried again once it succeeded.
    await expect(
      retryRelease({ releaseId, reason: 'again', requestedBy: 'dana@example.com' }, sluice.ports),
    ).rejects.toThrow(/cannot be retried: it succeeded/);
  }, 180_000);

  it("rebuilds on retry when the artifact attempt 1 built no longer hashes to the ledger's sha256, and deploys the rebuilt one", async () => {
    const sha = await commitOverlay(checkout.repo, 'checkout-v2');
    const releaseId = `checkout-${sha.slice(0, 12)}`;
    flakyTestOf.add(releaseId);
    const failed = await (await sluice.release({ service: 'checkout', commit: sha })).done;
    expect(failed).toMatchObject({ status: 'failed', endedAt: 'Test' });
    const first = await sluice.ledger.getRelease(releaseId);
    const key = first?.artifact?.key ?? '';
    const tampered = new TextEncoder().encode('not the artifact Build stored');
    await sluice.ports.artifacts.put(key, tampered);

    await retryRelease(
      { releaseId, reason: 'flaky checkout test', requestedBy: 'dana@example.com' },
      sluice.ports,
    );
    const second = await sluice.executions().get(executionNameOf(releaseId, 2))?.done;

    expect(second?.status).toBe('succeeded');
    const record = await sluice.ledger.getRelease(releaseId);
    const recorded = first?.artifact?.sha256.slice(0, 12);
    expect(record?.stages.Build?.detail).toBe(
      `rebuilt, because the artifact attempt 1 built hashes to sha256 ${createHash('sha256').update(tampered).digest('hex').slice(0, 12)}, ` +
        `not the ${recorded} the ledger recorded: ${first?.artifact?.bytes} bytes, sha256 ${recorded}`,
    );
    // The artifact Stage loaded and that went live is the rebuilt one: the tampered bytes are gone.
    expect(
      createHash('sha256')
        .update(await sluice.ports.artifacts.get(key))
        .digest('hex'),
    ).toBe(first?.artifact?.sha256);
    expect(record?.artifact).toMatchObject({ attempt: 2, sha256: first?.artifact?.sha256 });
  }, 180_000);

  it('refuses an unknown release, and one without a reason, clearly and without starting anything', async () => {
    const before = sluice.executions().size;
    await expect(
      retryRelease(
        { releaseId: 'checkout-000000000000', reason: 'x', requestedBy: 'dana@example.com' },
        sluice.ports,
      ),
    ).rejects.toThrow(/checkout-000000000000 is not in the ledger/);
    await expect(
      retryRelease(
        { releaseId: 'checkout-000000000000', reason: ' ', requestedBy: 'dana@example.com' },
        sluice.ports,
      ),
    ).rejects.toThrow(RetryRefusedError);
    expect(sluice.executions().size).toBe(before);
  });
});
