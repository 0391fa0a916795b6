/**
 * Nothing stays stuck, on the real local runtime: an execution that ends without Record writing its outcome
 * reaches execution-events through the synthesized "Step Functions Execution Status Change" rule, which
 * records the outcome and frees the production lock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import type { LambdaHandler } from '../../local/handlers';
import type { LocalSluice } from '../../local/runtime';
import { startLocalSluice } from '../support/shared';

const CATALOG = join(__dirname, '..', '..', 'sluice.catalog.json');

/** A Record failure no retrier matches: the Catch ends the execution in RecordFailed. */
class InjectedRecordError extends Error {
  override readonly name = 'InjectedRecordError';
}

let sluice: LocalSluice;
let root: string;
let checkout: { repo: string; sha: string };
/** Releases whose Record fails (the injected fault). */
const failRecordOf = new Set<string>();
const handled: { handler: string; result: unknown }[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-lifecycle-'));
  const reposDir = join(root, 'repos');
  checkout = await seedRepository(reposDir, 'checkout');
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
  if (root) rmSync(root, { recursive: true, force: true });
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
