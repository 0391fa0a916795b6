/**
 * `sluice retry`, as a user runs it, against a real local runtime (DynamoDB Local, the real ASL interpreter, the
 * CLI's HTTP API with its bearer token): a release a flaky test failed runs again as attempt 2 and succeeds, and
 * every release that may not be retried is refused with its reason, exit 1, and nothing started.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseStatus, StageName } from '../../../lambdas/core/model';
import { executionNameOf } from '../../../lambdas/core/push-routing';
import { commitOverlay, seedRepository } from '../../../local/demo/git-fixtures';
import type { LambdaHandler } from '../../../local/handlers';
import type { LocalSluice } from '../../../local/runtime';
import { startLocalSluice } from '../../support/shared';
import { testTempDir } from '../../support/test-temp-dir';
import { sluiceInProcess } from './run-sluice';

const CATALOG = join(__dirname, '..', '..', '..', 'sluice.catalog.json');

class FlakyTestError extends Error {
  override readonly name = 'FlakyTestError';
}

let sluice: LocalSluice;
let root: string;
let stateDir: string;
let checkout: { repo: string; sha: string };
/** Releases whose first attempt's Test fails (a flaky test). */
const flakyTestOf = new Set<string>();

beforeAll(async () => {
  root = testTempDir('retry-cli-');
  stateDir = join(root, 'state');
  const reposDir = join(root, 'repos');
  checkout = await seedRepository(reposDir, 'checkout');
  sluice = await startLocalSluice({
    catalogFile: CATALOG,
    stateDir,
    reposDir,
    timeScale: 60,
    trafficPerSecond: 60,
    wrapHandler: (name, handler): LambdaHandler => {
      if (name !== 'run-tests') return handler;
      return async (event, context) => {
        const { releaseId, attempt } = event as { releaseId: string; attempt?: number };
        if (flakyTestOf.has(releaseId) && (attempt ?? 1) === 1)
          throw new FlakyTestError('checkout.test.ts timed out once');
        return handler(event, context);
      };
    },
  });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await sluiceInProcess(args);
  return { code, out: stdout, err: stderr };
}

const retry = (releaseId: string, ...rest: string[]) =>
  cli(['retry', releaseId, '--state-dir', stateDir, ...rest]);

describe('sluice retry RELEASE --reason TEXT [--as EMAIL]', () => {
  it('retries a release a flaky test failed: attempt 2 succeeds, and status and the ledger show both attempts', async () => {
    const sha = await commitOverlay(checkout.repo, 'checkout-v2');
    const releaseId = `checkout-${sha.slice(0, 12)}`;
    flakyTestOf.add(releaseId);
    expect(await (await sluice.release({ service: 'checkout', commit: sha })).done).toMatchObject({
      status: 'failed',
      endedAt: 'Test',
    });

    const run = await retry(releaseId, '--reason', 'flaky checkout test', '--as', 'dana@example.com');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const execution = executionNameOf(releaseId, 2);
    expect(run.out).toContain(`${releaseId}: attempt 2 started (checkout)`);
    expect(run.out).toContain(`execution: ${execution}`);
    expect(run.out).toContain('by dana@example.com: flaky checkout test');

    expect((await sluice.executions().get(execution)?.done)?.status).toBe('succeeded');
    const record = await sluice.ledger.getRelease(releaseId);
    expect(record).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      retry: { requestedBy: 'dana@example.com', reason: 'flaky checkout test' },
      attempts: [expect.objectContaining({ attempt: 1, status: 'failed' })],
    });

    const status = await cli(['status', '--service', 'checkout', '--state-dir', stateDir]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`${releaseId} +succeeded`));
    expect(status.out).toContain(
      'attempt 2, retried by dana@example.com: flaky checkout test (earlier: 1 failed at Test)',
    );
    const json = await cli(['status', '--service', 'checkout', '--json', '--state-dir', stateDir]);
    const shown = (
      JSON.parse(json.out) as { services: { recentReleases: { releaseId: string; attempt?: number }[] }[] }
    ).services[0]?.recentReleases.find((r) => r.releaseId === releaseId);
    expect(shown?.attempt).toBe(2);
  }, 180_000);

  /** A checkout release in the ledger that ended `status` (or is still running). */
  async function recorded(releaseId: string, status: ReleaseStatus | 'running', stage: StageName) {
    await sluice.ledger.startRelease({
      releaseId,
      service: 'checkout',
      mode: 'deployment',
      commit: { sha: 'c'.repeat(40), author: 'a', message: 'm', time: '2026-01-01T00:00:00Z' },
      startedAt: '2026-01-01T00:00:00.000Z',
      trigger: { source: 'manual' },
    });
    if (status !== 'running')
      await sluice.ledger.finishRelease(releaseId, 'checkout', {
        status,
        stage,
        endedAt: '2026-01-01T00:10:00.000Z',
      });
  }

  it('refuses, with the reason, exit 1 and nothing started: running, succeeded, rejected, unknown, no reason', async () => {
    await recorded('checkout-running0000', 'running', 'Build');
    await recorded('checkout-succeeded00', 'succeeded', 'Deploy');
    await recorded('checkout-rejected000', 'rejected', 'Approval');
    const before = sluice.executions().size;
    const refused = async (args: string[], reason: RegExp) => {
      const run = await retry(...(args as [string, ...string[]]));
      expect(run.code).toBe(1);
      expect(run.out).toBe('');
      expect(run.err).toMatch(reason);
    };
    const as = ['--as', 'dana@example.com'];
    await refused(
      ['checkout-running0000', '--reason', 'x', ...as],
      /checkout-running0000 cannot be retried: it is still running/,
    );
    await refused(
      ['checkout-succeeded00', '--reason', 'x', ...as],
      /checkout-succeeded00 cannot be retried: it succeeded/,
    );
    await refused(
      ['checkout-rejected000', '--reason', 'x', ...as],
      /checkout-rejected000 cannot be retried: a person rejected it; the fix is a new commit/,
    );
    await refused(
      ['checkout-000000000000', '--reason', 'x', ...as],
      /Release checkout-000000000000 is not in the ledger/,
    );
    await refused(['checkout-running0000', ...as], /--reason is required/);
    await refused(['checkout-running0000', '--reason', '  ', ...as], /--reason is required/);

    expect(sluice.executions().size).toBe(before);
    expect((await sluice.ledger.getRelease('checkout-rejected000'))?.attempt ?? 1).toBe(1);
    expect((await sluice.ledger.getRelease('checkout-rejected000'))?.status).toBe('rejected');
  });

  it('the endpoint needs the bearer token of runtime.json, and JSON', async () => {
    const { url, token } = await sluice.runtimeInfo();
    const body = JSON.stringify({ release: 'checkout-000000000000', reason: 'x', as: 'eve@example.com' });
    const post = (headers: Record<string, string>) =>
      fetch(new URL('/api/retry', url), { method: 'POST', headers, body });
    expect((await post({ 'content-type': 'application/json' })).status).toBe(401);
    expect(
      (await post({ authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(415);
    const refused = await post({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/is not in the ledger/);
  });

  it('names exactly one release (exit 2)', async () => {
    expect((await cli(['retry', '--reason', 'x'])).code).toBe(2);
    expect((await cli(['retry', 'a', 'b', '--reason', 'x'])).err).toMatch(/name exactly one release/);
  });
});
