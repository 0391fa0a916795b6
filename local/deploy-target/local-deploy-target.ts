/**
 * The DeployTarget and ServiceAlarms ports on the local emulations of Lambda, CodeDeploy and CloudWatch
 * (`local/aws/`), as LambdaCodeDeployTarget and CloudWatchServiceAlarms put them on the real services. It also
 * sends the customers' traffic a canary bakes under.
 */

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
import { serviceAlarmDefinitions } from '../../lambdas/core/service-alarms';
import type { MetricAlarmInput } from '../aws/cloudwatch/alarm-definition';
import { type AlarmStateChangeEvent, type AlarmStateValue, alarmStateChange } from '../aws/cloudwatch/events';
import { LocalCloudWatch } from '../aws/cloudwatch/local-cloudwatch';
import {
  ALARM_MIN_REQUESTS,
  type AlarmBreach,
  evaluateAlarms,
  type MetricPoint,
} from '../aws/cloudwatch/request-alarms';
import { templateAlarms } from '../aws/cloudwatch/template-alarms';
import type { DeploymentHost, DeploymentReport } from '../aws/codedeploy/deployment';
import type { CodeDeployStateChangeEvent } from '../aws/codedeploy/events';
import { LocalCodeDeploy } from '../aws/codedeploy/local-codedeploy';
import type { RequestSample } from '../aws/lambda/alias';
import { NoAnswerError } from '../aws/lambda/http-call';
import { invocationMetrics } from '../aws/lambda/invocation-metrics';
import { LocalLambda, type RunningVersion } from '../aws/lambda/local-lambda';
import type { CfnTemplate } from '../definition';
import { LoadGenerator } from './load-generator';

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
  /**
   * The synthesized stack of each service, by service name: the local CloudWatch evaluates the alarms it
   * defines. @default - no alarms
   */
  readonly serviceTemplates?: ReadonlyMap<string, CfnTemplate>;
}

export type { RunningVersion } from '../aws/lambda/local-lambda';

/** Live-version samples kept per service for preflight's view of the alarms. */
const MAX_LIVE_SAMPLES = 2_000;

export class LocalDeployTarget implements DeployTarget, ServiceAlarms {
  readonly lambda: LocalLambda;
  readonly codeDeploy: LocalCodeDeploy;
  readonly cloudWatch: LocalCloudWatch;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly minuteMs: number;
  private readonly trafficPerSecond: number;
  private readonly requestTimeoutMs: number;
  private closing: Promise<void> | undefined;
  /**
   * Until the template's alarms judge deployments (issue 10), the alarms preflight and the deployments act on are
   * the requests each alias answered and states set by setAlarmState; the local CloudWatch evaluates the
   * template's alarms alongside.
   */
  private readonly requestSamples = new Map<string, RequestSample[]>();
  private readonly operatorAlarms = new Map<string, { value: AlarmStateValue; reason: string }>();

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
    this.cloudWatch = new LocalCloudWatch({ timeScale, clock: this.clock, log: this.log });
    for (const template of options.serviceTemplates?.values() ?? []) {
      for (const alarm of templateAlarms(template)) this.cloudWatch.putMetricAlarm(alarm);
    }
    this.lambda = new LocalLambda({
      workDir: options.workDir,
      requestTimeoutMs: this.requestTimeoutMs,
      ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
      functionNameOf: serviceResourceName,
      onLogLine: (fn, version, line) => this.cloudWatch.putLogLine(serviceResourceName(fn), version, line),
      onInvocation: (invocation) => this.cloudWatch.putMetricData(invocationMetrics(invocation)),
      log: this.log,
    });
    this.codeDeploy = new LocalCodeDeploy({
      functions: this.lambda,
      hostFor: (service) => this.deploymentHost(service),
      log: this.log,
    });
  }

  async stageVersion(
    service: ServiceConfig,
    releaseId: string,
    artifactKey: string,
  ): Promise<{ version: string }> {
    this.assertOpen();
    const zip = await this.options.artifacts.get(artifactKey);
    const deploying = this.codeDeploy.inProgress(service.name)?.request;
    const keep = deploying ? [deploying.toVersion, deploying.fromVersion ?? ''] : [];
    try {
      const { version, port } = await this.lambda.publishVersion(
        service.name,
        releaseId,
        service.runtime.handler || 'handler',
        { bytes: zip, source: `Artifact ${artifactKey}` },
        keep,
      );
      this.watchAlias(service.name);
      this.log(`${service.name}: staged v${version} (${releaseId}) on 127.0.0.1:${port}`);
      return { version };
    } catch (error) {
      // An unusable zip, or a version that does not start: the release's staging fails, named.
      throw new SmokeTestFailedError((error as Error).message);
    }
  }

  async invoke(service: ServiceConfig, version: string, request: HttpRequest): Promise<InvokeResult> {
    this.assertOpen();
    try {
      const answer = await this.lambda.invokeVersion(service.name, version, request);
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
    return this.lambda.liveVersion(service.name);
  }

  async startDeployment(request: StartDeploymentRequest): Promise<{ deploymentId: string }> {
    this.assertOpen();
    const deployment = await this.codeDeploy.createDeployment(request);
    return { deploymentId: deployment.id };
  }

  async describeDeployment(deploymentId: string): Promise<DeploymentDescription> {
    return this.codeDeploy.deployment(deploymentId).describe();
  }

  async stopDeployment(deploymentId: string, reason: string): Promise<void> {
    this.codeDeploy.stopDeployment(deploymentId, reason);
  }

  /**
   * Preflight's question: which of the service's alarms are in ALARM now. An alarm set by setAlarmState
   * stays so until set back; the error-rate and p99 alarms are also judged on the live version's traffic of
   * the last (compressed) minute.
   */
  async inAlarm(service: ServiceConfig): Promise<string[]> {
    const prefix = `${serviceResourceName(service.name)}-`;
    const firing = new Set(
      [...this.operatorAlarms]
        .filter(([n, s]) => n.startsWith(prefix) && s.value === 'ALARM')
        .map(([n]) => n),
    );
    const live = await this.lambda.liveVersion(service.name);
    if (live && !this.codeDeploy.inProgress(service.name)) {
      const since = Date.now() - this.minuteMs;
      const recent = (this.requestSamples.get(service.name) ?? []).filter(
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

  /**
   * Points the service's alarms at `version`, as CloudWatchServiceAlarms does in AWS: the same definitions
   * (lambdas/core/service-alarms.ts), written to the local CloudWatch with PutMetricAlarm.
   */
  async judge(service: ServiceConfig, version: string): Promise<void> {
    for (const definition of serviceAlarmDefinitions(service, version)) {
      this.cloudWatch.putMetricAlarm(definition as unknown as MetricAlarmInput);
    }
  }

  /** CloudWatch SetAlarmState: sets one of a service's alarms (to test preflight, or as an operator's hold). */
  async setAlarmState(alarmName: string, value: AlarmStateValue, reason: string): Promise<void> {
    const previous = this.operatorAlarms.get(alarmName)?.value ?? 'OK';
    if (value === 'OK') this.operatorAlarms.delete(alarmName);
    else this.operatorAlarms.set(alarmName, { value, reason });
    if (value === 'ALARM' && previous !== 'ALARM') await this.publishAlarm(alarmName, previous, reason);
  }

  /** The metric points a service's versions emitted (EMF lines on stdout), oldest first. */
  metrics(service: string): readonly MetricPoint[] {
    return this.cloudWatch.loggedMetrics(serviceResourceName(service));
  }

  /** Resolves when the deployment has ended and its final event was delivered. */
  async waitForDeployment(deploymentId: string): Promise<DeploymentDescription> {
    const deployment = this.codeDeploy.deployment(deploymentId);
    await deployment.done;
    return deployment.describe();
  }

  /** Figures of one deployment: requests per version, traffic steps, alarm, detect-to-rollback time. */
  deploymentReport(deploymentId: string): DeploymentReport {
    return this.codeDeploy.deployment(deploymentId).report();
  }

  /** Where real traffic for the service's live alias goes (http://127.0.0.1:port). */
  routerUrl(service: string): string {
    const alias = this.lambda.aliasOf(service);
    if (!alias)
      throw new Error(
        `${service} has no live alias yet: it starts when the service's first version is staged`,
      );
    return alias.url;
  }

  /** Requests and failures the alias saw per version since it started. */
  routerCounts(service: string, version: string): { requests: number; failed: number } {
    const alias = this.lambda.aliasOf(service);
    return alias ? alias.countsOf(version) : { requests: 0, failed: 0 };
  }

  /** The version processes running now. */
  versionProcesses(): RunningVersion[] {
    return this.lambda.versionProcesses();
  }

  /** Stops every deployment, version process and alias. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.cloudWatch.close();
      await this.codeDeploy.close();
      await this.lambda.close();
    })();
    return this.closing;
  }

  private readonly watched = new Set<string>();

  /** Keeps the requests each alias answers, for preflight's view of the live version. */
  private watchAlias(service: string): void {
    const alias = this.lambda.aliasOf(service);
    if (!alias || this.watched.has(service)) return;
    this.watched.add(service);
    alias.onSample((sample) => {
      const samples = this.requestSamples.get(service) ?? [];
      this.requestSamples.set(service, samples);
      samples.push(sample);
      if (samples.length > MAX_LIVE_SAMPLES) samples.splice(0, samples.length - MAX_LIVE_SAMPLES / 2);
    });
  }

  private async publishAlarm(alarmName: string, previous: AlarmStateValue, reason: string): Promise<void> {
    const at = this.clock.now();
    const timestamp = at.toISOString().replace('Z', '+0000');
    await this.options.onAlarm?.(
      alarmStateChange({
        definition: {
          name: alarmName,
          comparison: 'GreaterThanThreshold',
          threshold: 0,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: 'missing',
          evaluateLowSampleCountPercentile: 'evaluate',
          period: 60,
          queries: [],
          returnId: '',
        },
        state: { value: 'ALARM', reason, timestamp },
        previousState: { value: previous, reason: '', timestamp },
        at,
      }),
    );
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The local deploy target is closed');
  }

  private async deploymentHost(service: ServiceConfig): Promise<DeploymentHost> {
    const name = service.name;
    const alias = this.lambda.aliasOf(name);
    if (!alias) throw new DeploymentFailedError(`${name} has no version to deploy; stage it first`);
    return {
      alias,
      clock: this.clock,
      minuteMs: this.minuteMs,
      requestTimeoutMs: this.requestTimeoutMs,
      ensureRunning: (version) => this.lambda.ensureRunning(name, version),
      stopVersion: (version) => this.lambda.stopVersion(name, version),
      startTraffic: (maxDurationMs) =>
        new LoadGenerator({
          port: alias.port,
          requests: service.deploy.traffic ?? [service.smoke],
          perSecond: this.trafficPerSecond,
          maxDurationMs,
          requestTimeoutMs: this.requestTimeoutMs * 2,
        }),
      emit: async (event) => {
        try {
          await this.options.onEvent(event);
        } catch (error) {
          this.log(
            `${name}: the ${event.detail.state} event of ${event.detail.deploymentId} was not handled: ${(error as Error).message}`,
          );
        }
      },
      metricsOf: (version, since) => this.metrics(name).filter((p) => p.version === version && p.at >= since),
      alarmFired: async (breach: AlarmBreach, deploymentId: string) => {
        if (!this.options.onAlarm) return;
        // CloudWatch's state reason is the figure, not "Alarm X fired" (alarm-events adds that).
        const reason = breach.reason.replace(/^Alarm \S+ fired: /, '');
        try {
          // Bounded: a slow receiver must not keep customers on a bad version.
          await Promise.race([
            this.publishAlarm(breach.alarm, 'OK', reason),
            new Promise((resolve) => setTimeout(resolve, 2000).unref()),
          ]);
        } catch (error) {
          this.log(
            `${name}: the alarm event for ${deploymentId} was not handled: ${(error as Error).message}`,
          );
        }
      },
      log: this.log,
    };
  }
}
