/**
 * The local deploy target on real processes and real HTTP on 127.0.0.1: versions as child processes, the
 * weighted router, real traffic, local alarms and rollback.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployStrategy, ServiceConfig } from '../../../lambdas/core/catalog/types';
import { defined } from '../../../lambdas/core/defined';
import { serviceAlarmDefinitions } from '../../../lambdas/core/service-alarms';
import type { MetricAlarmInput } from '../../../local/aws/cloudwatch/alarm-definition';
import {
  type CodeDeployStateChangeEvent,
  LocalDeployTarget,
  type LocalDeployTargetOptions,
  UnknownDeploymentError,
} from '../../../local/deploy-target';
import {
  aliasErrorRateAlarm,
  artifactOf,
  HANDLERS,
  MemoryArtifactStore,
  serviceConfig,
  serviceTemplate,
} from './support';

let workDir: string;
let artifacts: MemoryArtifactStore;
let events: CodeDeployStateChangeEvent[];
let lines: string[];
const targets: LocalDeployTarget[] = [];

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'sluice-deploy-target-'));
  artifacts = new MemoryArtifactStore();
  events = [];
  lines = [];
});

afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
  rmSync(workDir, { recursive: true, force: true });
});

function target(options: Partial<LocalDeployTargetOptions> = {}): LocalDeployTarget {
  const created = new LocalDeployTarget({
    artifacts,
    workDir,
    timeScale: 600,
    trafficPerSecond: 200,
    onEvent: async (event) => {
      events.push(event);
    },
    log: (line) => lines.push(line),
    ...options,
  });
  targets.push(created);
  return created;
}

async function stage(t: LocalDeployTarget, service: ServiceConfig, source: string): Promise<string> {
  const key = `releases/${service.name}/${artifacts.objects.size}/artifact.zip`;
  await artifacts.put(key, artifactOf(source));
  return (await t.stageVersion(service, `rel-${artifacts.objects.size}`, key)).version;
}

/** Stages `source` and deploys it as the service's first release, so it is live. */
async function firstRelease(t: LocalDeployTarget, service: ServiceConfig, source: string): Promise<string> {
  const version = await stage(t, service, source);
  const { deploymentId } = await t.startDeployment({ service, releaseId: 'first', toVersion: version });
  expect((await t.waitForDeployment(deploymentId)).status).toBe('Succeeded');
  return version;
}

/** `count` GETs through the service's router; the version that answered each. */
async function throughRouter(
  t: LocalDeployTarget,
  service: string,
  count: number,
): Promise<{ status: number; version: string | null }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${t.routerUrl(service)}/`);
      await response.arrayBuffer();
      return { status: response.status, version: response.headers.get('x-sluice-version') };
    }),
  );
}

function statesOf(deploymentId: string): string[] {
  return events.filter((e) => e.detail.deploymentId === deploymentId).map((e) => e.detail.state);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

describe('staging and invoking versions', () => {
  it('unpacks each artifact as the next version, runs it as its own process and invokes it with a Function URL event', async () => {
    const t = target();
    const service = serviceConfig('orders');
    const v1 = await stage(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.routes);
    expect([v1, v2]).toEqual(['1', '2']);
    expect(readFileSync(join(workDir, 'orders', 'v1', 'index.js'), 'utf8')).toContain('label');
    expect(await t.liveVersion(service)).toBeUndefined();

    const answer = await t.invoke(service, v1, { method: 'GET', path: '/orders/42?expand=lines' });
    expect(answer.statusCode).toBe(200);
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    const { label, event, functionVersion } = JSON.parse(answer.body);
    expect(label).toBe('A');
    expect(functionVersion).toBe('1');
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/orders/42',
      rawQueryString: 'expand=lines',
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/orders/42', sourceIp: '127.0.0.1' } },
    });
    expect(typeof event.requestContext.requestId).toBe('string');
    expect(typeof event.requestContext.timeEpoch).toBe('number');

    const posted = JSON.parse(
      (await t.invoke(service, v2, { method: 'POST', path: '/', body: '{"qty":2}' })).body,
    );
    expect(posted).toMatchObject({ body: '{"qty":2}', requestContext: { http: { method: 'POST' } } });
    expect(await t.invoke(service, v2, { method: 'GET', path: '/text' })).toMatchObject({
      statusCode: 200,
      body: 'plain',
    });
    expect(await t.invoke(service, v2, { method: 'GET', path: '/unavailable' })).toMatchObject({
      statusCode: 503,
      body: 'down',
    });
    // A thrown error is an invocation error: the caller gets 502 and the error, the process keeps serving.
    const thrown = await t.invoke(service, v2, { method: 'GET', path: '/throw' });
    expect(thrown.statusCode).toBe(502);
    expect(JSON.parse(thrown.body)).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'TypeError: bad order',
    });
    expect((await t.invoke(service, v2, { method: 'GET', path: '/text' })).statusCode).toBe(200);

    await expect(t.invoke(service, '9', { method: 'GET', path: '/' })).rejects.toThrow(
      /orders has no version 9 \(versions: 1, 2\)/,
    );
    // Nothing is live before the first deployment: the router says so.
    expect((await throughRouter(t, 'orders', 1))[0]?.status).toBe(503);
  });

  it('bounds an invocation that never answers', async () => {
    const t = target({ requestTimeoutMs: 300 });
    const service = serviceConfig('sleepy');
    const version = await stage(
      t,
      service,
      `exports.handler = async (e) => e.rawPath === '/hang' ? new Promise(() => {}) : 'ok';`,
    );
    // The error names the bound that ended it; the version process keeps serving.
    await expect(t.invoke(service, version, { method: 'GET', path: '/hang' })).rejects.toThrow(
      /sleepy version 1 did not answer GET \/hang: no answer within 300 ms/,
    );
    expect((await t.invoke(service, version, { method: 'GET', path: '/' })).statusCode).toBe(200);
  });

  it('refuses a bundle without the handler export, naming it and what the bundle does export', async () => {
    const t = target();
    const failure = await stage(t, serviceConfig('misnamed'), HANDLERS.misnamed).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('SmokeTestFailedError');
    expect((failure as Error).message).toMatch(
      /misnamed version 1 did not start: index\.js does not export a function named "handler" \(it exports "main"\)/,
    );
    expect(t.versionProcesses()).toEqual([]);
  });

  it('refuses a bundle that throws while loading, with its error', async () => {
    const t = target();
    await expect(stage(t, serviceConfig('broken'), HANDLERS.throwsOnLoad)).rejects.toThrow(
      /broken version 1 did not start: index\.js failed to load: Error: cannot read the config store/,
    );
    await artifacts.put('not-a-service', artifactOf('').slice(0, 10));
    await expect(t.stageVersion(serviceConfig('broken'), 'r', 'not-a-service')).rejects.toThrow(
      /not a readable zip/,
    );
  });
});

describe('deployments', () => {
  it('moves a first release all at once and reports it with START and SUCCESS events', async () => {
    const t = target();
    const service = serviceConfig('orders');
    const version = await stage(t, service, HANDLERS.ok('A'));
    const { deploymentId } = await t.startDeployment({ service, releaseId: 'rel-1', toVersion: version });
    expect(deploymentId).toMatch(/^d-[A-Z0-9]{9}$/);
    // Started after the current tick: the caller can record the id before any event names it.
    expect(events).toEqual([]);
    expect(await t.waitForDeployment(deploymentId)).toEqual({
      deploymentId,
      status: 'Succeeded',
      rolledBack: false,
    });
    expect(statesOf(deploymentId)).toEqual(['START', 'SUCCESS']);
    expect(events[1]?.detail).toMatchObject({
      deploymentGroup: 'sluice-orders',
      application: 'sluice-orders',
      region: 'local',
    });
    expect(await t.liveVersion(service)).toBe('1');
    const answers = await throughRouter(t, 'orders', 5);
    expect(answers.every((a) => a.status === 200 && a.version === '1')).toBe(true);
    expect(t.deploymentReport(deploymentId).steps.map((s) => s.percent)).toEqual([100]);
    expect(lines).toContain('orders: 100% → v1');
  });

  it('bakes a green canary at 10% under real traffic for the compressed minutes, then moves 100% and stops the old version', async () => {
    // 5 CodeDeploy minutes at ×100: 3 s of canary with 200 requests per second.
    const t = target({ timeScale: 100 });
    const service = serviceConfig('checkout', 'Canary10Percent5Minutes');
    const v1 = await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.ok('B'));
    const oldPid = t.versionProcesses().find((p) => p.version === v1)?.pid;
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-2',
      fromVersion: v1,
      toVersion: v2,
    });
    // Mid-canary, v1 is still the live version (the split itself: test/local/aws/lambda/alias.test.ts).
    expect(await t.liveVersion(service)).toBe(v1);
    expect((await t.describeDeployment(deploymentId)).status).toBe('InProgress');

    expect(await t.waitForDeployment(deploymentId)).toEqual({
      deploymentId,
      status: 'Succeeded',
      rolledBack: false,
    });
    expect(statesOf(deploymentId)).toEqual(['START', 'SUCCESS']);
    const report = t.deploymentReport(deploymentId);
    expect(report.steps.map((s) => s.percent)).toEqual([10, 100]);
    // Time is compressed as asked (a CodeDeploy minute lasts 600 ms), never skipped.
    expect(lines).toContain(
      `checkout: deployment ${deploymentId} v1 → v2 (Canary10Percent5Minutes, 1 min = 600 ms)`,
    );
    expect(report.steps[1]?.elapsedMs).toBeGreaterThanOrEqual(3000);
    // Real traffic reached both versions during the bake, the canary the smaller share.
    const old = defined(report.versions[v1], 'v1 traffic');
    const canary = defined(report.versions[v2], 'v2 traffic');
    expect(report.trafficSent).toBeGreaterThan(0);
    expect(canary.requests).toBeGreaterThan(0);
    expect(old.requests).toBeGreaterThan(canary.requests);
    expect(canary.failed).toBe(0);

    expect(await t.liveVersion(service)).toBe(v2);
    const after = await throughRouter(t, 'checkout', 10);
    expect(after.every((a) => a.status === 200 && a.version === v2)).toBe(true);
    expect(t.versionProcesses().map((p) => p.version)).toEqual([v2]);
    expect(await waitUntil(() => !alive(oldPid!), 20_000)).toBe(true);
    // The old version's files stay for a manual rollback, and it restarts on demand.
    expect(existsSync(join(workDir, 'checkout', `v${v1}`, 'index.js'))).toBe(true);
    expect(JSON.parse((await t.invoke(service, v1, { method: 'GET', path: '/' })).body).label).toBe('A');
    expect(lines).toEqual(expect.arrayContaining(['checkout: canary 10% → v2', 'checkout: 100% → v2']));
  });

  it('shifts a linear deployment 10% at a time', async () => {
    // 9 steps of one CodeDeploy minute at ×600: 100 ms each.
    const t = target({ timeScale: 600, trafficPerSecond: 50 });
    const service = serviceConfig('ledger', 'Linear10PercentEvery1Minute');
    const v1 = await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.ok('B'));
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-2',
      fromVersion: v1,
      toVersion: v2,
    });
    expect((await t.waitForDeployment(deploymentId)).status).toBe('Succeeded');
    const steps = t.deploymentReport(deploymentId).steps;
    expect(steps.map((s) => s.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for (const [i, step] of steps.entries())
      if (i > 0)
        expect(step.elapsedMs - defined(steps[i - 1], 'the step before').elapsedMs).toBeGreaterThanOrEqual(
          95,
        );
    expect(await t.liveVersion(service)).toBe(v2);
  });

  it('rolls back when the error-rate alarm on the new version fires, and the previous version serves everything again', async () => {
    const service = serviceConfig('checkout', 'Canary10Percent5Minutes', { errorRatePercent: 5 });
    // ×12: the canary would bake 25 s; the alarm (5 s periods) ends it long before, however busy the machine.
    const t = target({ timeScale: 12, serviceTemplates: new Map([['checkout', serviceTemplate(service)]]) });
    const v1 = await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.flaky);
    expect((await t.invoke(service, v2, { method: 'GET', path: '/' })).statusCode).toBe(200); // the smoke test passes
    // What Deploy does before CreateDeployment: the template's alarms, pointed at v2 (ExecutedVersion).
    await t.judge(service, v2);
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-bad',
      fromVersion: v1,
      toVersion: v2,
    });
    const description = await t.waitForDeployment(deploymentId);
    expect(description).toMatchObject({
      deploymentId,
      status: 'Failed',
      rolledBack: true,
      alarm: 'sluice-checkout-error-rate',
    });
    expect(description.reason).toMatch(
      /^Alarm sluice-checkout-error-rate fired: Threshold Crossed: 1 out of the last 1 datapoint \[[\d.]+ \(.+\)\] was greater than the threshold \(5\)/,
    );
    expect(statesOf(deploymentId)).toEqual(['START', 'FAILURE']);
    expect(events.at(-1)?.detail.state).toBe('FAILURE');

    const report = t.deploymentReport(deploymentId);
    expect(report.versions[v2]?.failed).toBeGreaterThan(0);
    expect(report).toMatchObject({ alarm: 'sluice-checkout-error-rate', stoppedBy: 'alarm-check' });
    expect(report.firstFailureAt).toBeDefined();
    expect(report.rolledBackAt).toBeDefined();
    expect(report.detectToRollbackMs).toBeGreaterThanOrEqual(0);
    // Rolled back during the canary: the shift to 100% never happened.
    expect(report.steps.map((s) => s.percent)).toEqual([10, 0]);

    expect(await t.liveVersion(service)).toBe(v1);
    const after = await throughRouter(t, 'checkout', 20);
    expect(after.every((a) => a.status === 200 && a.version === v1)).toBe(true);
    expect(t.versionProcesses().map((p) => p.version)).toEqual([v1]);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^checkout: alarm sluice-checkout-error-rate fired: /),
        expect.stringMatching(/^checkout: rolled back to v1/),
      ]),
    );
  });

  it("rolls back when the template's p99 latency alarm on the new version fires", async () => {
    const service = serviceConfig('search', 'Canary10Percent5Minutes', { p99LatencyMs: 100 });
    // ×12: 5 s periods, so each holds the canary's answers whole (250 ms each).
    const t = target({ timeScale: 12, serviceTemplates: new Map([['search', serviceTemplate(service)]]) });
    const v1 = await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.slow(250));
    await t.judge(service, v2);
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-slow',
      fromVersion: v1,
      toVersion: v2,
    });
    const description = await t.waitForDeployment(deploymentId);
    expect(description).toMatchObject({
      status: 'Failed',
      rolledBack: true,
      alarm: 'sluice-search-p99-latency',
    });
    // The canary's own p99: every one of its requests takes at least 250 ms (more on a busy machine).
    const judged =
      /^Alarm sluice-search-p99-latency fired: Threshold Crossed: .*\[(\d+(?:\.\d+)?) \(.+\)\] was greater than the threshold \(100\)/.exec(
        description.reason ?? '',
      );
    expect(Number(judged?.[1])).toBeGreaterThanOrEqual(250);
    const report = t.deploymentReport(deploymentId);
    expect(report.versions[v2]?.failed).toBe(0);
    expect(report.versions[v2]?.p99LatencyMs).toBeGreaterThanOrEqual(250);
    expect(report.steps.map((s) => s.percent)).toEqual([10, 0]);
    expect(statesOf(deploymentId)).toEqual(['START', 'FAILURE']);
    expect(await t.liveVersion(service)).toBe(v1);
    expect((await throughRouter(t, 'search', 5)).every((a) => a.version === v1)).toBe(true);
  });

  it("checkout-bad at a 10% canary: the alias-level alarm it had before lets it through, while the same traffic puts the template's alarm on the version in ALARM", async () => {
    // Half the traffic on GET /, 40% of those failing on the canary: the alias's error rate is 10% × 20% = 2%,
    // under the 5% threshold; the canary's own is 20%. Both alarms are fed the very same invocations by the same
    // evaluator, so the difference is the definition alone (the evaluator is faithful, not tuned).
    const service = serviceConfig('checkout', 'Canary10Percent5Minutes', { errorRatePercent: 5 });
    const traffic = [
      { method: 'GET' as const, path: '/' },
      { method: 'POST' as const, path: '/checkout', body: '{"items":[]}' },
    ];
    const deployed = { ...service, deploy: { ...service.deploy, traffic } };
    const t = target({
      // A minute is 1.2 s: at 200 requests a second each period holds enough requests for the rates to be those
      // above even when a busy machine sends a quarter of them (at 0.6 s a starved period of 15 requests could
      // hold one canary error: 6.7%, and the alias alarm fired).
      timeScale: 50,
      serviceTemplates: new Map([['checkout', serviceTemplate(deployed)]]),
    });
    const v1 = await firstRelease(t, deployed, HANDLERS.ok('A'));
    const v2 = await stage(t, deployed, HANDLERS.checkoutBad);
    // The deployment group polls sluice-checkout-error-rate: here as the old template defined it.
    t.putMetricAlarm(aliasErrorRateAlarm(deployed));
    // The template's definition for v2, only watching (not in the deployment group).
    const [onVersion] = serviceAlarmDefinitions(deployed, v2);
    t.putMetricAlarm({ ...onVersion, AlarmName: 'watch-v2-error-rate' } as unknown as MetricAlarmInput);
    const fired = new Set<string>();
    const seen = setInterval(() => {
      for (const alarm of t.cloudWatch.describeAlarms({ state: 'ALARM' })) fired.add(alarm.name);
    }, 20);
    try {
      const { deploymentId } = await t.startDeployment({
        service: deployed,
        releaseId: 'rel-bad',
        fromVersion: v1,
        toVersion: v2,
      });
      expect(await t.waitForDeployment(deploymentId)).toMatchObject({
        status: 'Succeeded',
        rolledBack: false,
      });
      const canary = defined(t.deploymentReport(deploymentId).versions[v2], 'v2 traffic');
      expect(canary.failed / canary.requests).toBeGreaterThan(0.1);
    } finally {
      clearInterval(seen);
    }
    expect([...fired]).toEqual(['watch-v2-error-rate']);
    expect(await t.liveVersion(deployed)).toBe(v2);
  });

  it('refuses a second deployment of a service while one is in progress, and other bad requests', async () => {
    // ×1: a real 5-minute canary, so it is still baking when close() stops it, however slow the steps before.
    const t = target({ timeScale: 1 });
    const service = serviceConfig('checkout');
    const v1 = await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.ok('B'));
    const v3 = await stage(t, service, HANDLERS.ok('C'));
    const { deploymentId } = await t.startDeployment({
      service,
      releaseId: 'rel-2',
      fromVersion: v1,
      toVersion: v2,
    });
    await expect(
      t.startDeployment({ service, releaseId: 'rel-3', fromVersion: v1, toVersion: v3 }),
    ).rejects.toThrow(
      new RegExp(`checkout already has deployment ${deploymentId} in progress \\(v1 → v2\\)`),
    );
    await expect(t.startDeployment({ service, releaseId: 'rel-3', toVersion: '42' })).rejects.toThrow(
      /checkout has no version 42 to deploy/,
    );
    // Another service deploys at the same time.
    const other = serviceConfig('greeter');
    const g1 = await stage(t, other, HANDLERS.ok('G'));
    const { deploymentId: otherId } = await t.startDeployment({
      service: other,
      releaseId: 'g-1',
      toVersion: g1,
    });
    expect((await t.waitForDeployment(otherId)).status).toBe('Succeeded');

    const badStrategy = {
      ...service,
      deploy: { ...service.deploy, strategy: 'Canary99Percent1Minute' as DeployStrategy },
    };
    await expect(
      t.startDeployment({ service: badStrategy, releaseId: 'x', fromVersion: v1, toVersion: v3 }),
    ).rejects.toThrow(
      /Unknown deploy strategy "Canary99Percent1Minute"; use one of AllAtOnce, Canary10Percent5Minutes/,
    );
    // close() during the bake stops it: traffic back on v1, no process left.
    expect(await waitUntil(() => t.deploymentReport(deploymentId).steps.length === 1, 30_000)).toBe(true);
    await t.close();
    expect(await t.describeDeployment(deploymentId)).toMatchObject({ status: 'Stopped', rolledBack: true });
    expect(t.versionProcesses()).toEqual([]);
    await expect(
      t.startDeployment({ service, releaseId: 'late', fromVersion: v1, toVersion: v3 }),
    ).rejects.toThrow(/closed/);
  });

  it('refuses to deploy from a version that is not live', async () => {
    const t = target();
    const service = serviceConfig('checkout');
    await firstRelease(t, service, HANDLERS.ok('A'));
    const v2 = await stage(t, service, HANDLERS.ok('B'));
    await expect(
      t.startDeployment({ service, releaseId: 'r', fromVersion: '7', toVersion: v2 }),
    ).rejects.toThrow(/v7 is not the live version of checkout \(live: v1\)/);
  });

  it('answers an unknown deployment id with a clear error', async () => {
    const t = target();
    await expect(t.describeDeployment('d-NOSUCHONE')).rejects.toThrow(UnknownDeploymentError);
    await expect(t.describeDeployment('d-NOSUCHONE')).rejects.toThrow(
      'Deployment d-NOSUCHONE does not exist in the local CodeDeploy',
    );
    expect(() => t.deploymentReport('d-NOSUCHONE')).toThrow(/does not exist/);
    expect(() => t.routerUrl('nobody')).toThrow(/nobody has no live alias yet/);
  });

  it('logs an event receiver that throws and carries on', async () => {
    const t = target({
      onEvent: async () => {
        throw new Error('ledger unavailable');
      },
    });
    const service = serviceConfig('orders');
    const version = await stage(t, service, HANDLERS.ok('A'));
    const { deploymentId } = await t.startDeployment({ service, releaseId: 'r', toVersion: version });
    expect((await t.waitForDeployment(deploymentId)).status).toBe('Succeeded');
    expect(lines).toContain(
      `orders: the SUCCESS event of ${deploymentId} was not handled: ledger unavailable`,
    );
  });
});

describe('no orphan processes', () => {
  /** Processes whose parent is this one and that run a version host. */
  function versionHostChildren(): number[] {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return (
            ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('version-host')
          );
        } catch {
          return false;
        }
      })
      .map(Number);
  }

  it('close() stops every version process and router, and is idempotent', async () => {
    const t = target();
    const a = serviceConfig('a');
    const b = serviceConfig('b');
    await firstRelease(t, a, HANDLERS.ok('A'));
    await stage(t, a, HANDLERS.ok('A2'));
    await stage(t, b, HANDLERS.ok('B'));
    const pids = t.versionProcesses().map((p) => p.pid);
    expect(pids).toHaveLength(3);
    expect(versionHostChildren().sort()).toEqual([...pids].sort());
    const router = t.routerUrl('a');
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(versionHostChildren()).toEqual([]);
    await expect(fetch(router)).rejects.toThrow();
    await expect(t.stageVersion(a, 'r', 'k')).rejects.toThrow(/closed/);
  });

  it('versions leave when their parent process is killed', async () => {
    const root = resolve(__dirname, '..', '..', '..');
    const script = `
      const { LocalDeployTarget } = require(${JSON.stringify(join(root, 'local', 'deploy-target'))});
      const { MemoryArtifactStore, artifactOf, serviceConfig, HANDLERS } = require(${JSON.stringify(join(__dirname, 'support'))});
      (async () => {
        const artifacts = new MemoryArtifactStore();
        await artifacts.put('k', artifactOf(HANDLERS.ok('A')));
        const t = new LocalDeployTarget({ artifacts, workDir: ${JSON.stringify(workDir)}, onEvent: async () => {} });
        await t.stageVersion(serviceConfig('a'), 'r', 'k');
        await t.stageVersion(serviceConfig('b'), 'r', 'k');
        console.log(JSON.stringify(t.versionProcesses().map((p) => p.pid)));
      })();`;
    const parent = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    parent.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const printed = await waitUntil(() => out.includes(']'), 25_000);
    if (!printed) parent.kill('SIGKILL');
    expect(printed, err).toBe(true);
    const pids = JSON.parse(out.trim()) as number[];
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    const gone = await waitUntil(() => pids.every((pid) => !alive(pid)), 20_000);
    // Should this fail, leave no orphans behind for the next run.
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
  });
});
