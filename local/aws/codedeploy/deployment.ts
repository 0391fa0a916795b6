/**
 * One local deployment: CodeDeploy's traffic shifting of a Lambda alias between two running versions, watched by
 * alarms under real traffic, with automatic rollback. Runs on its own once started; its end is an event.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import type { Clock, DeploymentDescription, DeploymentStatus } from '../../../lambdas/core/ports';
import { nearestRank } from '../cloudwatch/statistics';
import type { LocalAlias, RequestSample } from '../lambda/alias';
import { type CodeDeployState, type CodeDeployStateChangeEvent, codeDeployStateChange } from './events';
import { planMinutes, type TrafficPlan } from './strategy';

/** Requests sent to the alias while a deployment bakes (customers' traffic); it stops by itself. */
export interface BakeTraffic {
  readonly figures: { readonly sent: number };
  stop(): void;
}

/** What a deployment needs from Lambda, CloudWatch and the runtime around it. */
export interface DeploymentHost {
  /** The function's `live` alias, which the deployment shifts. */
  readonly alias: LocalAlias;
  readonly clock: Clock;
  /** Real ms that one CodeDeploy minute lasts. */
  readonly minuteMs: number;
  readonly requestTimeoutMs: number;
  /** Starts the version's process again if it is not running. */
  ensureRunning(version: string): Promise<void>;
  stopVersion(version: string): Promise<void>;
  /** Starts traffic to the alias for at most `maxDurationMs`. */
  startTraffic(maxDurationMs: number): BakeTraffic;
  emit(event: CodeDeployStateChangeEvent): Promise<void>;
  /** The deployment group's alarms that are in ALARM now (CodeDeploy's alarm polling). */
  alarmsInAlarm(): readonly FiringAlarm[];
  log(line: string): void;
}

/** One of the deployment group's alarms, in ALARM. */
export interface FiringAlarm {
  readonly name: string;
  /** CloudWatch's state reason. */
  readonly reason: string;
  /** Epoch ms when it went to ALARM. */
  readonly since: number;
  /** Real ms one of its periods lasts. */
  readonly periodMs: number;
}

/** The alarm that ended a deployment, and why. */
export interface AlarmBreach {
  readonly alarm: string;
  readonly reason: string;
}

export interface VersionFigures {
  readonly requests: number;
  readonly failed: number;
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
}

/** One change of the new version's share of live traffic. */
export interface TrafficShift {
  /** ISO 8601 */
  readonly at: string;
  /** Real ms since the deployment started. */
  readonly elapsedMs: number;
  /** The new version's share. */
  readonly percent: number;
  readonly version: string;
}

export interface DeploymentReport {
  readonly deploymentId: string;
  readonly service: string;
  readonly releaseId: string;
  readonly strategy: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly status: DeploymentStatus;
  readonly rolledBack: boolean;
  readonly reason?: string;
  readonly alarm?: string;
  /** The measured figure that fired the alarm. */
  readonly breach?: AlarmBreach;
  /** Real ms one CodeDeploy minute lasted. */
  readonly minuteMs: number;
  /** ISO 8601 */
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  /** Requests the alias forwarded during the deployment, per version. */
  readonly versions: Readonly<Record<string, VersionFigures>>;
  readonly steps: readonly TrafficShift[];
  /** Requests the load generator sent. */
  readonly trafficSent: number;
  /** When the first request of the new version failed or breached the latency threshold. */
  readonly firstFailureAt?: string;
  /** When the previous version served 100% again. */
  readonly rolledBackAt?: string;
  readonly detectToRollbackMs?: number;
  /** Who stopped it: StopDeployment (alarm-events, a timeout) or the deploy target's own alarm check. */
  readonly stoppedBy?: 'stop-deployment' | 'alarm-check';
}

export interface DeploymentRequest {
  readonly service: ServiceConfig;
  readonly releaseId: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly plan: TrafficPlan;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** CodeDeploy's deployment id shape: `d-` and 9 uppercase letters or digits. */
export function newDeploymentId(): string {
  const bytes = randomBytes(9);
  return `d-${Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

/** Latencies kept per version for the report's p99; counts stay exact beyond it. */
const MAX_LATENCIES = 100_000;

class Figures {
  requests = 0;
  failed = 0;
  readonly latencies: number[] = [];

  add(sample: RequestSample): void {
    this.requests++;
    if (sample.failed) this.failed++;
    if (this.latencies.length < MAX_LATENCIES) this.latencies.push(sample.latencyMs);
  }

  summary(): VersionFigures {
    return {
      requests: this.requests,
      failed: this.failed,
      errorRatePercent: this.requests ? Math.round((this.failed / this.requests) * 1000) / 10 : 0,
      p99LatencyMs: this.latencies.length ? Math.round(nearestRank(this.latencies, 0.99) * 10) / 10 : 0,
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalDeployment {
  readonly id = newDeploymentId();
  private status: DeploymentStatus = 'InProgress';
  private rolledBack = false;
  private reason: string | undefined;
  private breach: AlarmBreach | undefined;
  private readonly startedAt: Date;
  private readonly startedMs = Date.now();
  private endedAt: Date | undefined;
  private endedMs: number | undefined;
  private readonly figures = new Map<string, Figures>();
  private readonly steps: TrafficShift[] = [];
  private firstFailureMs: number | undefined;
  private rolledBackMs: number | undefined;
  private load: BakeTraffic | undefined;
  private aborted = false;
  private stopRequest: string | undefined;
  private events: Promise<void> = Promise.resolve();
  private finished!: () => void;
  /** Resolves when the deployment has ended and its last event was delivered. */
  readonly done: Promise<void>;

  constructor(
    readonly request: DeploymentRequest,
    private readonly host: DeploymentHost,
  ) {
    this.startedAt = host.clock.now();
    this.done = new Promise((resolve) => {
      this.finished = resolve;
    });
  }

  get service(): string {
    return this.request.service.name;
  }

  get inProgress(): boolean {
    return this.status === 'InProgress';
  }

  describe(): DeploymentDescription {
    return {
      deploymentId: this.id,
      status: this.status,
      rolledBack: this.rolledBack,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.breach ? { alarm: this.breach.alarm } : {}),
    };
  }

  report(): DeploymentReport {
    const { request } = this;
    const stamp = (ms: number) => new Date(this.startedAt.getTime() + (ms - this.startedMs)).toISOString();
    const versions: Record<string, VersionFigures> = {};
    for (const [version, figures] of this.figures) versions[version] = figures.summary();
    return {
      ...this.describe(),
      service: this.service,
      releaseId: request.releaseId,
      strategy: request.plan.strategy,
      ...(request.fromVersion ? { fromVersion: request.fromVersion } : {}),
      toVersion: request.toVersion,
      ...(this.breach ? { breach: this.breach } : {}),
      minuteMs: this.host.minuteMs,
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt && this.endedMs !== undefined
        ? { endedAt: this.endedAt.toISOString(), durationMs: this.endedMs - this.startedMs }
        : {}),
      versions,
      steps: [...this.steps],
      trafficSent: this.load?.figures.sent ?? 0,
      ...(this.firstFailureMs !== undefined ? { firstFailureAt: stamp(this.firstFailureMs) } : {}),
      ...(this.rolledBackMs !== undefined ? { rolledBackAt: stamp(this.rolledBackMs) } : {}),
      ...(this.firstFailureMs !== undefined && this.rolledBackMs !== undefined
        ? { detectToRollbackMs: Math.max(0, this.rolledBackMs - this.firstFailureMs) }
        : {}),
      ...(this.rolledBack ? { stoppedBy: this.stopRequest ? 'stop-deployment' : 'alarm-check' } : {}),
    };
  }

  /** StopDeployment with rollback: the bake ends at its next check and traffic goes back. */
  requestStop(reason: string): void {
    if (this.inProgress) this.stopRequest ??= reason;
  }

  /** Ends a running deployment early (the deploy target is closing): traffic goes back, no event. */
  abort(): void {
    this.aborted = true;
  }

  private emit(state: CodeDeployState): void {
    const event = codeDeployStateChange(this.service, this.id, state, this.host.clock.now());
    // In order, and never blocking the traffic shifting on the receiver.
    this.events = this.events.then(() => this.host.emit(event));
  }

  private record(sample: RequestSample): void {
    if (this.status !== 'InProgress') return;
    let figures = this.figures.get(sample.version);
    if (!figures) {
      figures = new Figures();
      this.figures.set(sample.version, figures);
    }
    figures.add(sample);
    if (sample.version !== this.request.toVersion || this.firstFailureMs !== undefined) return;
    // For the report only (the alarms judge): a request the customer saw fail, or slower than the catalog's p99.
    if (sample.failed || sample.latencyMs > this.request.service.deploy.alarms.p99LatencyMs)
      this.firstFailureMs = sample.at;
  }

  private shift(percent: number): void {
    const { fromVersion, toVersion, plan } = this.request;
    this.host.alias.route({
      ...(fromVersion ? { live: fromVersion } : {}),
      target: { version: toVersion, percent },
    });
    this.steps.push({
      at: this.host.clock.now().toISOString(),
      elapsedMs: Date.now() - this.startedMs,
      percent,
      version: toVersion,
    });
    const label =
      percent >= 100 ? '' : plan.kind === 'canary' ? 'canary ' : plan.kind === 'linear' ? 'linear ' : '';
    this.host.log(`${this.service}: ${label}${percent}% → v${toVersion}`);
  }

  /** CodeDeploy's alarm polling: the first of the deployment group's alarms in ALARM, if any. */
  private pollAlarms(): AlarmBreach | undefined {
    const [firing] = this.host.alarmsInAlarm();
    if (!firing) return undefined;
    // No single request fails a business metric: the start of the period the alarm judged stands in.
    this.firstFailureMs ??= firing.since - firing.periodMs;
    return { alarm: firing.name, reason: `Alarm ${firing.name} fired: ${firing.reason}` };
  }

  /** A StopDeployment as a breach: what the rollback records. */
  private stopAsBreach(reason: string): AlarmBreach {
    const alarm = /Alarm (\S+) fired/.exec(reason)?.[1] ?? 'StopDeployment';
    const firing = this.host.alarmsInAlarm().find((a) => a.name === alarm);
    // Stopped for an alarm that no single request failed (a business metric): its period stands in.
    if (firing) this.firstFailureMs ??= firing.since - firing.periodMs;
    return { alarm, reason };
  }

  /** Holds the current weights for `ms`, polling the deployment group's alarms all along. */
  private async bake(ms: number): Promise<AlarmBreach | undefined> {
    const end = Date.now() + ms;
    // A few polls per compressed minute, however compressed: an alarm's state changes at most once a period.
    const every = Math.max(20, Math.min(100, this.host.minuteMs / 10));
    for (;;) {
      if (this.stopRequest) return this.stopAsBreach(this.stopRequest);
      const breach = this.pollAlarms();
      if (breach) return breach;
      if (this.aborted) return undefined;
      const left = end - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(every, left));
    }
  }

  private end(status: DeploymentStatus, reason?: string): void {
    this.status = status;
    if (reason) this.reason = reason;
    this.endedAt = this.host.clock.now();
    this.endedMs = Date.now();
  }

  /** Drives the deployment to its end. Never rejects. */
  async run(): Promise<void> {
    const { host, request } = this;
    const { fromVersion, toVersion, plan } = request;
    const unsubscribe = host.alias.onSample((sample) => this.record(sample));
    this.emit('START');
    const shape =
      fromVersion && plan.kind !== 'all-at-once'
        ? `${plan.strategy}, 1 min = ${Math.round(host.minuteMs)} ms`
        : 'AllAtOnce';
    host.log(
      `${this.service}: deployment ${this.id} ${fromVersion ? `v${fromVersion} → ` : ''}v${toVersion} (${shape})`,
    );
    try {
      await host.ensureRunning(toVersion);
      if (!fromVersion || plan.kind === 'all-at-once') {
        this.shift(100);
        this.end('Succeeded');
        if (fromVersion) await this.retire(fromVersion);
      } else {
        await host.ensureRunning(fromVersion);
        const bakeMs = planMinutes(plan) * host.minuteMs;
        // Bounded even if the deployment never ended: the bake, plus as long again.
        this.load = host.startTraffic(bakeMs * 2 + 5000);
        for (const step of plan.steps) {
          if (step.percent >= 100) break;
          this.shift(step.percent);
          const breach = await this.bake(step.bakeMinutes * host.minuteMs);
          if (breach) return await this.rollBack(breach);
          if (this.aborted) return await this.stopEarly();
        }
        this.load.stop();
        this.shift(100);
        this.end('Succeeded');
        await this.retire(fromVersion);
      }
      host.log(`${this.service}: v${toVersion} is live (${this.id} succeeded)`);
      this.emit('SUCCESS');
    } catch (error) {
      if (!this.inProgress) {
        host.log(`${this.service}: after deployment ${this.id} ended: ${(error as Error).message}`);
      } else if (this.aborted) {
        // A version that could not start because the target is closing is a stop, not a failed release.
        await this.stopEarly();
      } else {
        await this.failed(error as Error);
      }
    } finally {
      this.load?.stop();
      unsubscribe();
      await this.events;
      this.finished();
    }
  }

  /** Stops the process of a version that no longer gets traffic, once its last requests are answered. */
  private async retire(version: string): Promise<void> {
    await this.host.alias.idle(version, Math.min(this.host.requestTimeoutMs, 2000));
    await this.host
      .stopVersion(version)
      .catch((error: Error) => this.host.log(`${this.service}: stopping v${version}: ${error.message}`));
  }

  private async rollBack(breach: AlarmBreach): Promise<void> {
    const { fromVersion, toVersion } = this.request;
    const from = fromVersion!;
    // Traffic first: every moment here is customer requests on a bad version.
    this.host.alias.route({ live: from });
    this.rolledBackMs = Date.now();
    this.load?.stop();
    this.breach = breach;
    this.rolledBack = true;
    this.steps.push({
      at: this.host.clock.now().toISOString(),
      elapsedMs: this.rolledBackMs - this.startedMs,
      percent: 0,
      version: toVersion,
    });
    this.end('Failed', breach.reason);
    this.host.log(`${this.service}: ${breach.reason.replace(/^Alarm /, 'alarm ')}`);
    await this.retire(toVersion);
    const detect =
      this.firstFailureMs !== undefined
        ? ` ${this.rolledBackMs - this.firstFailureMs} ms after the first failing request`
        : '';
    this.host.log(`${this.service}: rolled back to v${from}${detect}`);
    this.emit('FAILURE');
  }

  private async stopEarly(): Promise<void> {
    const { fromVersion, toVersion } = this.request;
    const shifted = this.steps.length > 0 && this.status === 'InProgress';
    if (fromVersion && shifted) this.host.alias.route({ live: fromVersion });
    this.rolledBack = fromVersion !== undefined && shifted;
    this.end(
      'Stopped',
      `The local deploy target closed during the deployment${this.rolledBack ? `; traffic went back to v${fromVersion}` : ''}`,
    );
    await this.host.stopVersion(toVersion);
    this.host.log(`${this.service}: deployment ${this.id} stopped`);
  }

  private async failed(error: Error): Promise<void> {
    const { fromVersion, toVersion } = this.request;
    if (fromVersion) this.host.alias.route({ live: fromVersion });
    this.rolledBack = fromVersion !== undefined && this.steps.length > 0;
    this.end('Failed', `Deployment of ${this.service} version ${toVersion} failed: ${error.message}`);
    this.host.log(`${this.service}: deployment ${this.id} failed: ${error.message}`);
    await this.host.stopVersion(toVersion).catch(() => undefined);
    this.emit('FAILURE');
  }
}
