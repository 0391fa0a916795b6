/**
 * The production lock and its queue on a real DynamoDB Local, Record's hand-over, and Record's answer to a
 * Deploy timeout (GetDeployment before deciding), and the canary baseline Record keeps.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import { defined } from '../../../lambdas/core/defined';
import type {
  CanaryBaselines,
  DeploymentDescription,
  DeployTarget,
  StartDeploymentRequest,
} from '../../../lambdas/core/ports';
import { startRollback } from '../../../lambdas/core/rollback';
import type { BakeWindow, CanaryBaseline } from '../../../lambdas/core/service-alarms';
import type { Ledger, QueuedDeployment } from '../../../lambdas/ledger/ledger';
import { recordRelease } from '../../../lambdas/record/record';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const parsed = parseCatalog({
  version: 1,
  services: [
    { name: 'svc', mode: 'deployment', source: { repository: 'svc' }, runtime: { entry: 'src/handler.ts' } },
  ],
});
if (!parsed.ok) throw new Error('bad catalog');
const config = defined(parsed.catalog.services[0], 'the test service');
const clock = { now: () => new Date('2026-03-01T10:00:00Z') };

let db: TestLedger;
beforeAll(async () => {
  db = await startTestLedger();
});
afterAll(async () => {
  await db?.stop();
});

const waiter = (releaseId: string, version: string): QueuedDeployment => ({
  releaseId,
  taskToken: `token-${releaseId}`,
  config,
  version,
  queuedAt: clock.now().toISOString(),
});

class FakeTarget implements Partial<DeployTarget> {
  live: string | undefined = '1';
  started: StartDeploymentRequest[] = [];
  /** Every call in order: `judge <version>`, `start <version>`, `preflight live=<version>`. */
  log: string[] = [];
  stopped: string[] = [];
  status: DeploymentDescription = { deploymentId: 'd-1', status: 'InProgress', rolledBack: false };
  async liveVersion() {
    return this.live;
  }
  async startDeployment(request: StartDeploymentRequest) {
    this.started.push(request);
    this.log.push(`start ${request.toVersion}`);
    return { deploymentId: `d-${request.toVersion}` };
  }
  async describeDeployment() {
    return this.status;
  }
  async stopDeployment(id: string) {
    this.stopped.push(id);
  }
}

function portsOf(
  ledger: Ledger,
  target: FakeTarget,
  firing: string[] = [],
  baselines: CanaryBaselines = { read: async () => Promise.reject(new Error('no baseline here')) },
) {
  const calls: { succeed: unknown[]; fail: unknown[] } = { succeed: [], fail: [] };
  return {
    calls,
    ports: {
      baselines,
      ledger,
      clock,
      deployTarget: target as unknown as DeployTarget,
      alarms: {
        inAlarm: async (_config: unknown, live?: string) => {
          target.log.push(`preflight live=${live}`);
          return firing;
        },
        judge: async (_config: unknown, version: string) => void target.log.push(`judge ${version}`),
      },
      releaseMetrics: { publish: async () => undefined },
      tasks: {
        succeed: async (token: string, output: unknown) => void calls.succeed.push({ token, output }),
        fail: async (token: string, error: string, cause: string) =>
          void calls.fail.push({ token, error, cause }),
      },
    },
  };
}

async function startRelease(ledger: Ledger, releaseId: string) {
  await ledger.startRelease({
    releaseId,
    service: 'svc',
    mode: 'deployment',
    commit: { sha: releaseId, author: 'a', message: 'm', time: clock.now().toISOString() },
    startedAt: clock.now().toISOString(),
    trigger: { source: 'manual' },
  });
}

describe('the production deployment lock', () => {
  it('lets one release hold it, queues the others in order, and hands it over one at a time', async () => {
    const ledger = await db.newLedger();
    await ledger.setLive('svc', { liveVersion: '1', updatedAt: clock.now().toISOString() });
    expect(await ledger.acquireDeployLock('svc', waiter('a', '2'))).toBe('acquired');
    expect(await ledger.acquireDeployLock('svc', waiter('a', '2'))).toBe('acquired'); // a retry
    expect(await ledger.acquireDeployLock('svc', waiter('b', '3'))).toBe('queued');
    expect(await ledger.acquireDeployLock('svc', waiter('c', '4'))).toBe('queued');
    expect(await ledger.acquireDeployLock('svc', waiter('b', '3'))).toBe('queued'); // no duplicate entry
    // setLive leaves the lock alone (same item).
    await ledger.setLive('svc', { liveVersion: '2', updatedAt: clock.now().toISOString() });
    let state = await ledger.getServiceState('svc');
    expect(state).toMatchObject({ lockHolder: 'a', liveVersion: '2' });
    expect(state?.deployQueue?.map((q) => q.releaseId)).toEqual(['b', 'c']);

    expect(await ledger.releaseDeployLock('svc', 'b', 'now')).toBeUndefined(); // not the holder
    await ledger.acquireDeployLock('svc', waiter('d', '5'));
    expect(await ledger.leaveDeployQueue('svc', 'd')).toBe(true); // its Deploy timed out while waiting
    expect(await ledger.leaveDeployQueue('svc', 'd')).toBe(false);
    expect((await ledger.releaseDeployLock('svc', 'a', 'now'))?.releaseId).toBe('b');
    expect((await ledger.releaseDeployLock('svc', 'b', 'now'))?.releaseId).toBe('c');
    expect(await ledger.releaseDeployLock('svc', 'c', 'now')).toBeUndefined();
    state = await ledger.getServiceState('svc');
    expect(state?.lockHolder).toBeUndefined();
    expect(state?.deployQueue).toEqual([]);
    expect(state?.liveVersion).toBe('2');
  });

  it('Record hands the lock to the waiter and starts its deployment; a waiter blocked at preflight is failed through its token', async () => {
    const ledger = await db.newLedger();
    for (const id of ['a', 'b', 'c']) await startRelease(ledger, id);
    await ledger.acquireDeployLock('svc', waiter('a', '2'));
    await ledger.acquireDeployLock('svc', waiter('b', '3'));
    const target = new FakeTarget();
    const { ports } = portsOf(ledger, target);
    await recordRelease({ releaseId: 'a', service: 'svc', trigger: { source: 'manual' } }, ports);
    expect(target.started.map((s) => s.toVersion)).toEqual(['3']);
    // Preflight looks at the alarms on the live version; they are pointed at version 3 before it starts.
    expect(target.log).toEqual(['preflight live=1', 'judge 3', 'start 3']);
    expect(await ledger.getRelease('b')).toMatchObject({ deployTaskToken: 'token-b', deploymentId: 'd-3' });
    expect((await ledger.getServiceState('svc'))?.lockHolder).toBe('b');

    await ledger.acquireDeployLock('svc', waiter('c', '4'));
    const blocked = portsOf(ledger, target, ['sluice-svc-error-rate']);
    await recordRelease({ releaseId: 'b', service: 'svc', trigger: { source: 'manual' } }, blocked.ports);
    expect(target.started).toHaveLength(1);
    // Blocked at preflight: the alarms were not moved to version 4.
    expect(target.log).not.toContain('judge 4');
    expect(blocked.calls.fail).toEqual([
      expect.objectContaining({ token: 'token-c', error: 'PreflightBlocked' }),
    ]);
    expect((await ledger.getServiceState('svc'))?.lockHolder).toBe('c');
  });

  it('after a Deploy timeout, Record asks for the deployment before deciding', async () => {
    const ledger = await db.newLedger();
    await startRelease(ledger, 'r');
    await ledger.updateRelease('r', { deploymentId: 'd-9' });
    await ledger.linkDeployment({
      deploymentId: 'd-9',
      releaseId: 'r',
      service: 'svc',
      fromVersion: '1',
      toVersion: '2',
      strategy: 'AllAtOnce',
    });
    const timedOut = {
      releaseId: 'r',
      service: 'svc',
      trigger: { source: 'manual' as const },
      stage: { version: '2', smoke: { status: 200, latencyMs: 1 } },
      failure: { Error: 'States.Timeout', Cause: 'Task timed out' },
      failedStage: { stage: 'Deploy' as const },
    };
    const target = new FakeTarget();
    target.status = { deploymentId: 'd-9', status: 'Succeeded', rolledBack: false };
    await expect(recordRelease(timedOut, portsOf(ledger, target).ports)).resolves.toMatchObject({
      status: 'succeeded',
    });
    expect((await ledger.getServiceState('svc'))?.liveVersion).toBe('2');

    target.status = { deploymentId: 'd-9', status: 'InProgress', rolledBack: false };
    await expect(recordRelease(timedOut, portsOf(ledger, target).ports)).resolves.toMatchObject({
      status: 'rolled_back',
    });
    expect(target.stopped).toEqual(['d-9']);
  });
});

describe("a canary's baseline", () => {
  const figures: CanaryBaseline = {
    start: '2026-01-01T00:00:00.000Z',
    end: '2026-01-01T00:06:00.000Z',
    canary: { version: '2', invocations: 120, errorRatePercent: 20, p99LatencyMs: 180 },
    previous: { version: '1', invocations: 1080, errorRatePercent: 0.5, p99LatencyMs: 95 },
  };
  const canaryRelease = async (ledger: Ledger, strategy: string) => {
    await startRelease(ledger, 'r');
    await ledger.updateRelease('r', { deploymentId: 'd-7' });
    await ledger.linkDeployment({
      deploymentId: 'd-7',
      releaseId: 'r',
      service: 'svc',
      fromVersion: '1',
      toVersion: '2',
      strategy,
      startedAt: '2026-01-01T00:00:20.000Z',
    });
  };
  const rolledBack = {
    releaseId: 'r',
    service: 'svc',
    trigger: { source: 'manual' as const },
    failure: { Error: 'DeploymentRolledBack', Cause: '{"alarm":"sluice-svc-error-rate"}' },
    failedStage: { stage: 'Deploy' as const },
  };

  it('Record reads both versions over the bake, from the deployment start to now, and keeps them on the release', async () => {
    const ledger = await db.newLedger();
    await canaryRelease(ledger, 'Canary10Percent5Minutes');
    const windows: BakeWindow[] = [];
    const baselines = {
      read: async (w: BakeWindow) => {
        windows.push(w);
        return figures;
      },
    };
    await recordRelease(rolledBack, portsOf(ledger, new FakeTarget(), [], baselines).ports);
    expect(windows).toEqual([
      {
        service: 'svc',
        toVersion: '2',
        fromVersion: '1',
        start: new Date('2026-01-01T00:00:20.000Z'),
        end: clock.now(),
      },
    ]);
    expect(await ledger.getRelease('r')).toMatchObject({ status: 'rolled_back', baseline: figures });
  });

  it('records none for a deployment without a canary, and none (the outcome still) when it cannot be read', async () => {
    const ledger = await db.newLedger();
    await canaryRelease(ledger, 'AllAtOnce');
    const read = vi.fn(async () => figures);
    await recordRelease(rolledBack, portsOf(ledger, new FakeTarget(), [], { read }).ports);
    expect(read).not.toHaveBeenCalled();
    expect((await ledger.getRelease('r'))?.baseline).toBeUndefined();

    const other = await db.newLedger();
    await canaryRelease(other, 'Canary10Percent5Minutes');
    await recordRelease(rolledBack, portsOf(other, new FakeTarget()).ports);
    expect(await other.getRelease('r')).toMatchObject({ status: 'rolled_back' });
    expect((await other.getRelease('r'))?.baseline).toBeUndefined();
  });
});

describe('a rollback that fails after taking the lock', () => {
  it('hands the lock to the release that queued behind it and starts that deployment', async () => {
    const ledger = await db.newLedger();
    await ledger.startRelease({
      releaseId: 'svc-good',
      service: 'svc',
      mode: 'deployment',
      commit: { sha: 'good', author: 'a', message: 'm', time: clock.now().toISOString() },
      startedAt: clock.now().toISOString(),
      trigger: { source: 'manual' },
    });
    await ledger.updateRelease('svc-good', { version: '1' });
    await ledger.finishRelease('svc-good', 'svc', {
      status: 'succeeded',
      stage: 'Deploy',
      endedAt: clock.now().toISOString(),
    });
    await startRelease(ledger, 'next');
    // While the rollback holds the lock, release `next` queues; then CodeDeploy refuses the rollback.
    const target = new (class extends FakeTarget {
      override async startDeployment(request: StartDeploymentRequest) {
        if (request.toVersion === '1') {
          await ledger.acquireDeployLock('svc', waiter('next', '3'));
          throw new Error('DeploymentLimitExceededException');
        }
        return super.startDeployment(request);
      }
    })();
    target.live = '2';
    const { ports } = portsOf(ledger, target);
    await expect(
      startRollback(
        { service: 'svc', toReleaseId: 'svc-good', reason: 'bad prices', requestedBy: 'oncall@example.com' },
        { ...ports, catalog: { load: async () => parsed.catalog } },
      ),
    ).rejects.toThrow('DeploymentLimitExceededException');
    expect(target.started.map((s) => [s.releaseId, s.toVersion])).toEqual([['next', '3']]);
    expect((await ledger.getServiceState('svc'))?.lockHolder).toBe('next');
  });
});
