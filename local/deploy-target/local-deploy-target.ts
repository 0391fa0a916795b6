/**
 * The local stand-in for Lambda versions, the `live` alias, CodeDeploy traffic shifting and the CloudWatch
 * alarms it watches: every version is a real process, the alias is a weighted HTTP router, and the alarms
 * judge the answers real requests got.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { unzipSync } from 'fflate';
import { type ServiceConfig, serviceResourceName } from '../../lambdas/core/catalog/types';
import { DeploymentFailedError, SmokeTestFailedError } from '../../lambdas/core/errors';
import {
  type ArtifactStore,
  type Clock,
  type DeploymentDescription,
  type DeployTarget,
  type HttpRequest,
  type InvokeResult,
  type ServiceAlarms,
  type StartDeploymentRequest,
  systemClock,
} from '../../lambdas/core/ports';
import { ALARM_MIN_REQUESTS, type AlarmBreach, evaluateAlarms, type RequestSample } from './alarms';
import { type DeploymentHost, type DeploymentReport, LocalDeployment } from './deployment';
import {
  type AlarmStateChangeEvent,
  type AlarmStateValue,
  alarmStateChange,
  type CodeDeployStateChangeEvent,
} from './events';
import { httpCall, NoAnswerError } from './http-call';
import { type MetricPoint, parseEmfLine } from './metrics';
import { ServiceRouter } from './router';
import { ALL_AT_ONCE, parseDeployStrategy } from './strategy';
import { compileVersionHost, VersionProcess } from './version-process';

export interface LocalDeployTargetOptions {
  /** Where Build put the artifact. */
  readonly artifacts: ArtifactStore;
  /** Scratch space for unpacked versions: `<workDir>/<service>/v<N>/`. */
  readonly workDir: string;
  /** One CodeDeploy minute lasts 60 000 / timeScale ms; time is compressed, never skipped. @default 60 */
  readonly timeScale?: number;
  /** Receives every CodeDeploy state-change event (the runtime forwards it to the deployment-events handler). */
  readonly onEvent: (event: CodeDeployStateChangeEvent) => Promise<void>;
  /**
   * Receives every local alarm's change to ALARM (the runtime forwards it to the alarm-events handler, as the
   * EventBridge rule does in AWS). @default - none: the deployment rolls back on its own alarm check
   */
  readonly onAlarm?: (event: AlarmStateChangeEvent) => Promise<void>;
  /** Load generator rate during a deployment. @default 40 */
  readonly trafficPerSecond?: number;
  /** Stamps events and reports; durations are always measured in real time. @default systemClock */
  readonly clock?: Clock;
  /** Progress lines for the CLI. @default - silent */
  readonly log?: (line: string) => void;
  /** Longest a version may take to answer one request before it counts as failed. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Longest a version may take to load and listen. @default 10 000 */
  readonly startTimeoutMs?: number;
}

/** CodeDeploy's DeploymentDoesNotExistException. */
export class UnknownDeploymentError extends Error {
  override readonly name = 'DeploymentDoesNotExistException';
}

export interface RunningVersion {
  readonly service: string;
  readonly version: string;
  readonly pid: number;
  readonly port: number;
}

interface VersionEntry {
  readonly version: string;
  readonly releaseId: string;
  readonly dir: string;
  readonly handler: string;
  process?: VersionProcess;
  starting?: Promise<VersionProcess>;
}

interface ServiceState {
  readonly name: string;
  readonly router: ServiceRouter;
  readonly versions: Map<string, VersionEntry>;
  next: number;
  live?: string;
  deployment?: LocalDeployment;
}

/** Zip entry names become paths under the version folder; none may leave it. */
function safeEntryPath(name: string): string {
  const path = normalize(name);
  if (path.startsWith('..') || path.startsWith('/') || path.includes('\0'))
    throw new Error(`zip entry ${name} leaves the version folder`);
  return path;
}

/** Metric points kept per service (the business alarm looks at the last minutes only). */
const MAX_METRIC_POINTS = 20_000;
/** Live-version samples kept per service for preflight's view of the alarms. */
const MAX_LIVE_SAMPLES = 2_000;

export class LocalDeployTarget implements DeployTarget, ServiceAlarms {
  private readonly metricPoints = new Map<string, MetricPoint[]>();
  private readonly liveSamples = new Map<string, RequestSample[]>();
  /** Alarm states set by SetAlarmState, as CloudWatch keeps them until the next evaluation. */
  private readonly alarmStates = new Map<string, { value: AlarmStateValue; reason: string }>();

  private readonly services = new Map<string, Promise<ServiceState>>();
  private readonly deployments = new Map<string, LocalDeployment>();
  private readonly runs = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly minuteMs: number;
  private readonly trafficPerSecond: number;
  private readonly requestTimeoutMs: number;
  private closing: Promise<void> | undefined;
  private exitHookInstalled = false;
  /** Synchronous last resort: a parent that exits takes its versions with it (they also leave on IPC disconnect). */
  private readonly exitHook = () => {
    for (const entry of this.allVersions()) entry.process?.killNow();
  };

  constructor(private readonly options: LocalDeployTargetOptions) {
    const timeScale = options.timeScale ?? 60;
    if (!Number.isFinite(timeScale) || timeScale <= 0)
      throw new Error(`timeScale must be a positive number, got ${timeScale}`);
    const perSecond = options.trafficPerSecond ?? 40;
    if (!Number.isFinite(perSecond) || perSecond < 0)
      throw new Error(`trafficPerSecond must be 0 or more, got ${perSecond}`);
    this.minuteMs = 60_000 / timeScale;
    this.trafficPerSecond = perSecond;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
  }

  async stageVersion(
    service: ServiceConfig,
    releaseId: string,
    artifactKey: string,
  ): Promise<{ version: string }> {
    this.assertOpen();
    const state = await this.serviceState(service.name);
    // Numbered before any await, so concurrent stagings never share a number (Lambda's PublishVersion).
    const version = String(state.next++);
    const dir = join(this.options.workDir, service.name, `v${version}`);
    const zip = await this.options.artifacts.get(artifactKey);
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(zip);
    } catch (error) {
      throw new SmokeTestFailedError(
        `Artifact ${artifactKey} is not a readable zip: ${(error as Error).message}`,
      );
    }
    if (!files['index.js']) {
      const names = Object.keys(files);
      throw new SmokeTestFailedError(
        `Artifact ${artifactKey} has no index.js at its root (it holds ${names.length ? names.slice(0, 10).join(', ') : 'nothing'})`,
      );
    }
    await rm(dir, { recursive: true, force: true });
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      const file = join(dir, safeEntryPath(name));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    const entry: VersionEntry = { version, releaseId, dir, handler: service.runtime.handler || 'handler' };
    state.versions.set(version, entry);
    await this.stopSuperseded(state, version);
    try {
      const host = await this.ensureRunning(state, entry);
      this.log(`${service.name}: staged v${version} (${releaseId}) on 127.0.0.1:${host.port}`);
    } catch (error) {
      throw new SmokeTestFailedError((error as Error).message);
    }
    return { version };
  }

  async invoke(service: ServiceConfig, version: string, request: HttpRequest): Promise<InvokeResult> {
    this.assertOpen();
    const state = await this.services.get(service.name);
    const entry = state?.versions.get(version);
    if (!state || !entry) {
      throw new Error(
        `${service.name} has no version ${version} (versions: ${state ? [...state.versions.keys()].join(', ') || 'none' : 'none'})`,
      );
    }
    const host = await this.ensureRunning(state, entry);
    try {
      const answer = await httpCall({
        port: host.port,
        method: request.method,
        path: request.path,
        ...(request.body !== undefined
          ? { body: request.body, headers: { 'content-type': 'application/json' } }
          : {}),
        timeoutMs: this.requestTimeoutMs,
      });
      return {
        statusCode: answer.status,
        body: answer.body.toString('utf8'),
        latencyMs: Math.round(answer.latencyMs),
      };
    } catch (error) {
      if (error instanceof NoAnswerError) {
        throw new Error(
          `${service.name} version ${version} did not answer ${request.method} ${request.path}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async liveVersion(service: ServiceConfig): Promise<string | undefined> {
    return (await this.services.get(service.name))?.live;
  }

  async startDeployment(request: StartDeploymentRequest): Promise<{ deploymentId: string }> {
    this.assertOpen();
    const { service, fromVersion, toVersion } = request;
    // Validated even for a first release: a bad catalog should fail the first deploy, not the second.
    const strategy = parseDeployStrategy(service.deploy.strategy);
    const state = await this.services.get(service.name);
    if (!state?.versions.has(toVersion)) {
      throw new DeploymentFailedError(
        `${service.name} has no version ${toVersion} to deploy; stage it first`,
      );
    }
    const running = state.deployment;
    if (running?.inProgress) {
      const { fromVersion: from, toVersion: to } = running.request;
      throw new DeploymentFailedError(
        `${service.name} already has deployment ${running.id} in progress (${from ? `v${from} → ` : ''}v${to}); ` +
          'one deployment per service at a time: wait for it to end',
      );
    }
    if (fromVersion !== undefined && fromVersion !== state.live) {
      throw new DeploymentFailedError(
        `v${fromVersion} is not the live version of ${service.name} (live: ${state.live ? `v${state.live}` : 'none'})`,
      );
    }
    if (fromVersion === toVersion)
      throw new DeploymentFailedError(`v${toVersion} of ${service.name} is already live`);
    const deployment = new LocalDeployment(
      {
        service,
        releaseId: request.releaseId,
        ...(fromVersion ? { fromVersion } : {}),
        toVersion,
        plan: fromVersion ? strategy : ALL_AT_ONCE,
      },
      this.deploymentHost(state, service.name),
    );
    state.deployment = deployment;
    this.deployments.set(deployment.id, deployment);
    // After this tick, like CodeDeploy: the caller records the id before any event can name it.
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => deployment.run());
    this.runs.add(run);
    run
      .catch((error: Error) =>
        this.log(`${service.name}: deployment ${deployment.id} crashed: ${error.message}`),
      )
      .finally(() => this.runs.delete(run));
    return { deploymentId: deployment.id };
  }

  async describeDeployment(deploymentId: string): Promise<DeploymentDescription> {
    return this.deployment(deploymentId).describe();
  }

  async stopDeployment(deploymentId: string, reason: string): Promise<void> {
    const deployment = this.deployment(deploymentId);
    this.log(`${deployment.service}: StopDeployment ${deploymentId} with rollback (${reason})`);
    deployment.requestStop(reason);
  }

  /**
   * Preflight's question: which of the service's alarms are in ALARM now. An alarm set by setAlarmState
   * stays so until set back; the error-rate and p99 alarms are also judged on the live version's traffic of
   * the last (compressed) minute.
   */
  async inAlarm(service: ServiceConfig): Promise<string[]> {
    const prefix = `${serviceResourceName(service.name)}-`;
    const firing = new Set(
      [...this.alarmStates].filter(([n, s]) => n.startsWith(prefix) && s.value === 'ALARM').map(([n]) => n),
    );
    const state = await this.services.get(service.name);
    const live = state?.live;
    if (live && !state.deployment?.inProgress) {
      const since = Date.now() - this.minuteMs;
      const recent = (this.liveSamples.get(service.name) ?? []).filter(
        (s) => s.version === live && s.at >= since,
      );
      // Only this minute's requests (fewer than the minimum is no data, never ALARM).
      const breach = evaluateAlarms(service.name, recent, service.deploy.alarms, {
        now: Date.now(),
        periodMs: this.minuteMs,
      });
      if (breach && recent.length >= ALARM_MIN_REQUESTS) firing.add(breach.alarm);
    }
    return [...firing].sort();
  }

  /** CloudWatch SetAlarmState: sets one of a service's alarms (to test preflight, or as an operator's hold). */
  async setAlarmState(alarmName: string, value: AlarmStateValue, reason: string): Promise<void> {
    const previous = this.alarmStates.get(alarmName)?.value ?? 'OK';
    if (value === 'OK') this.alarmStates.delete(alarmName);
    else this.alarmStates.set(alarmName, { value, reason });
    if (value === 'ALARM' && previous !== 'ALARM') {
      await this.options.onAlarm?.(alarmStateChange(alarmName, value, previous, reason, this.clock.now()));
    }
  }

  /** The metric points a service's versions emitted (EMF lines on stdout), oldest first. */
  metrics(service: string): readonly MetricPoint[] {
    return this.metricPoints.get(service) ?? [];
  }

  /** Resolves when the deployment has ended and its final event was delivered. */
  async waitForDeployment(deploymentId: string): Promise<DeploymentDescription> {
    const deployment = this.deployment(deploymentId);
    await deployment.done;
    return deployment.describe();
  }

  /** Figures of one deployment: requests per version, traffic steps, alarm, detect-to-rollback time. */
  deploymentReport(deploymentId: string): DeploymentReport {
    return this.deployment(deploymentId).report();
  }

  /** Where real traffic for the service's live alias goes (http://127.0.0.1:port). */
  routerUrl(service: string): string {
    const router = this.routers.get(service);
    if (!router)
      throw new Error(`${service} has no router yet: it starts when the service's first version is staged`);
    return router.url;
  }

  /** Requests and failures the router saw per version since it started. */
  routerCounts(service: string, version: string): { requests: number; failed: number } {
    const router = this.routers.get(service);
    return router ? router.countsOf(version) : { requests: 0, failed: 0 };
  }

  /** The version processes running now. */
  versionProcesses(): RunningVersion[] {
    const running: RunningVersion[] = [];
    for (const [service, entries] of this.versionsByService) {
      for (const entry of entries.values()) {
        const p = entry.process;
        if (p?.running && p.pid !== undefined)
          running.push({ service, version: entry.version, pid: p.pid, port: p.port });
      }
    }
    return running;
  }

  /** Stops every deployment, version process and router. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const deployment of this.deployments.values()) deployment.abort();
      // A deployment notices within one evaluation tick; an event receiver that hangs must not hang close().
      await Promise.race([
        Promise.allSettled([...this.runs]),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
      const entries = this.allVersions();
      await Promise.allSettled(entries.map((entry) => entry.starting));
      await Promise.allSettled(entries.map((entry) => entry.process?.stop()));
      await Promise.allSettled([...this.routers.values()].map((router) => router.close()));
      if (this.exitHookInstalled) process.off('exit', this.exitHook);
      this.exitHookInstalled = false;
    })();
    return this.closing;
  }

  // Synchronous views of the state, for routerUrl() and the exit hook.
  private readonly routers = new Map<string, ServiceRouter>();
  private readonly versionsByService = new Map<string, Map<string, VersionEntry>>();

  private allVersions(): VersionEntry[] {
    return [...this.versionsByService.values()].flatMap((versions) => [...versions.values()]);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The local deploy target is closed');
  }

  private deployment(deploymentId: string): LocalDeployment {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment)
      throw new UnknownDeploymentError(
        `Deployment ${deploymentId} does not exist in the local deploy target`,
      );
    return deployment;
  }

  private serviceState(name: string): Promise<ServiceState> {
    let state = this.services.get(name);
    if (!state) {
      const versions = new Map<string, VersionEntry>();
      state = ServiceRouter.start({
        service: name,
        portOf: (version) => {
          const p = versions.get(version)?.process;
          return p?.running ? p.port : undefined;
        },
        requestTimeoutMs: this.requestTimeoutMs,
      }).then((router) => {
        router.onSample((sample) => this.keepLiveSample(name, sample));
        this.routers.set(name, router);
        this.versionsByService.set(name, versions);
        return { name, router, versions, next: 1 };
      });
      state.catch(() => this.services.delete(name));
      this.services.set(name, state);
    }
    return state;
  }

  private keepLiveSample(service: string, sample: RequestSample): void {
    const samples = this.liveSamples.get(service) ?? [];
    this.liveSamples.set(service, samples);
    samples.push(sample);
    if (samples.length > MAX_LIVE_SAMPLES) samples.splice(0, samples.length - MAX_LIVE_SAMPLES / 2);
  }

  private keepMetricLine(service: string, version: string, line: string): void {
    const points = parseEmfLine(line, version, Date.now());
    if (points.length === 0) return;
    const kept = this.metricPoints.get(service) ?? [];
    this.metricPoints.set(service, kept);
    kept.push(...points);
    if (kept.length > MAX_METRIC_POINTS) kept.splice(0, kept.length - MAX_METRIC_POINTS / 2);
  }

  private ensureRunning(state: ServiceState, entry: VersionEntry): Promise<VersionProcess> {
    if (entry.process?.running) return Promise.resolve(entry.process);
    entry.starting ??= (async () => {
      try {
        const hostFile = await compileVersionHost(join(this.options.workDir, '.version-host'));
        const started = await VersionProcess.start({
          hostFile,
          config: { dir: entry.dir, handler: entry.handler, service: state.name, version: entry.version },
          ...(this.options.startTimeoutMs ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
          onStdoutLine: (line) => this.keepMetricLine(state.name, entry.version, line),
          onUnexpectedExit: (code, signal, stderr) => {
            const last = stderr.trim().split('\n').pop();
            this.log(
              `${state.name}: v${entry.version} exited unexpectedly (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`,
            );
          },
        });
        if (!this.exitHookInstalled) {
          process.on('exit', this.exitHook);
          this.exitHookInstalled = true;
        }
        entry.process = started;
        if (this.closing) {
          await started.stop();
          throw new Error('The local deploy target is closed');
        }
        return started;
      } finally {
        entry.starting = undefined;
      }
    })();
    return entry.starting;
  }

  private async stopVersion(state: ServiceState, version: string): Promise<void> {
    const entry = state.versions.get(version);
    const running = entry?.process;
    if (!entry || !running) return;
    entry.process = undefined;
    await running.stop();
  }

  /**
   * Staged versions that never went live stay idle until a newer one replaces them; stop their processes so a
   * long-running runtime holds at most live, deploying and newest per service. They restart on demand.
   */
  private async stopSuperseded(state: ServiceState, newest: string): Promise<void> {
    const keep = new Set([newest, state.live]);
    if (state.deployment?.inProgress) {
      keep.add(state.deployment.request.toVersion);
      keep.add(state.deployment.request.fromVersion);
    }
    const idle = [...state.versions.values()].filter((entry) => !keep.has(entry.version) && entry.process);
    await Promise.all(idle.map((entry) => this.stopVersion(state, entry.version)));
  }

  private deploymentHost(state: ServiceState, service: string): DeploymentHost {
    return {
      router: state.router,
      clock: this.clock,
      minuteMs: this.minuteMs,
      trafficPerSecond: this.trafficPerSecond,
      requestTimeoutMs: this.requestTimeoutMs,
      ensureRunning: async (version) => {
        const entry = state.versions.get(version);
        if (!entry) throw new Error(`${service} has no version ${version}`);
        await this.ensureRunning(state, entry);
      },
      stopVersion: (version) => this.stopVersion(state, version),
      setLive: (version) => {
        state.live = version;
      },
      emit: async (event) => {
        try {
          await this.options.onEvent(event);
        } catch (error) {
          this.log(
            `${service}: the ${event.detail.state} event of ${event.detail.deploymentId} was not handled: ${(error as Error).message}`,
          );
        }
      },
      metricsOf: (version, since) =>
        this.metrics(service).filter((p) => p.version === version && p.at >= since),
      alarmFired: async (breach: AlarmBreach, deploymentId: string) => {
        if (!this.options.onAlarm) return;
        // CloudWatch's state reason is the figure, not "Alarm X fired" (alarm-events adds that).
        const reason = breach.reason.replace(/^Alarm \S+ fired: /, '');
        const event = alarmStateChange(breach.alarm, 'ALARM', 'OK', reason, this.clock.now());
        try {
          // Bounded: a slow receiver must not keep customers on a bad version.
          await Promise.race([
            this.options.onAlarm(event),
            new Promise((resolve) => setTimeout(resolve, 2000).unref()),
          ]);
        } catch (error) {
          this.log(
            `${service}: the alarm event for ${deploymentId} was not handled: ${(error as Error).message}`,
          );
        }
      },
      log: this.log,
    };
  }
}
