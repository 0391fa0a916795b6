/**
 * The DeployTarget and ServiceAlarms ports on the local emulations of Lambda, CodeDeploy and CloudWatch
 * (`local/aws/`), as LambdaCodeDeployTarget and CloudWatchServiceAlarms put them on the real services. It also
 * sends the customers' traffic a canary bakes under.
 */

import {
  type JsonObject,
  type ServiceConfig,
  serviceAlarmNames,
  serviceResourceName,
} from '../../lambdas/core/catalog/types';
import { DeploymentFailedError, SmokeTestFailedError } from '../../lambdas/core/errors';
import {
  type ArtifactStore,
  type CanaryBaselines,
  type Clock,
  type DeploymentDescription,
  type DeployTarget,
  type EventInvokeResult,
  type HttpRequest,
  type InvokeResult,
  type ServiceAlarms,
  type StartDeploymentRequest,
  systemClock,
} from '../../lambdas/core/ports';
import {
  type BakeWindow,
  baselineQueries,
  blocksDeployments,
  type CanaryBaseline,
  serviceAlarmDefinitions,
  staleAlarmReason,
  versionFigures,
} from '../../lambdas/core/service-alarms';
import { dimensionValue, type MetricAlarmInput } from '../aws/cloudwatch/alarm-definition';
import type { AlarmStateChangeEvent, AlarmStateValue } from '../aws/cloudwatch/events';
import { LocalCloudWatch, type LoggedMetric } from '../aws/cloudwatch/local-cloudwatch';
import { templateAlarms, templateDeploymentGroups } from '../aws/cloudwatch/template-alarms';
import type { DeploymentHost, DeploymentReport } from '../aws/codedeploy/deployment';
import type { CodeDeployStateChangeEvent } from '../aws/codedeploy/events';
import { LocalCodeDeploy } from '../aws/codedeploy/local-codedeploy';
import { type HttpAnswer, NoAnswerError } from '../aws/lambda/http-call';
import { invocationMetrics } from '../aws/lambda/invocation-metrics';
import { LocalLambda, type RunningVersion } from '../aws/lambda/local-lambda';
import type { CfnTemplate } from '../definition';
import { LoadGenerator } from './load-generator';
import { eventInvokeResult, trafficCalls } from './traffic';

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
   * Receives every alarm state change of the local CloudWatch (the runtime puts it on the local event bus, whose
   * rule sends a change to ALARM to the alarm-events handler, as in AWS).
   * @default - none: a deployment rolls back on CodeDeploy's own alarm polling
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
   * defines, and the local CodeDeploy polls the ones its deployment group names. @default - no alarms
   */
  readonly serviceTemplates?: ReadonlyMap<string, CfnTemplate>;
}

export type { RunningVersion } from '../aws/lambda/local-lambda';

export class LocalDeployTarget implements DeployTarget, ServiceAlarms, CanaryBaselines {
  readonly lambda: LocalLambda;
  readonly codeDeploy: LocalCodeDeploy;
  readonly cloudWatch: LocalCloudWatch;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly minuteMs: number;
  private readonly trafficPerSecond: number;
  private readonly requestTimeoutMs: number;
  private closing: Promise<void> | undefined;
  /** The alarms each service's deployment group names, by service. */
  private readonly groupAlarms = new Map<string, readonly string[]>();
  /** When each alarm last went to ALARM (epoch ms), for the deployment report. */
  private readonly alarmedAt = new Map<string, number>();

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
    this.cloudWatch = new LocalCloudWatch({
      timeScale,
      clock: this.clock,
      log: this.log,
      onStateChange: async (event) => {
        if (event.detail.state.value === 'ALARM') this.alarmedAt.set(event.detail.alarmName, Date.now());
        await options.onAlarm?.(event);
      },
    });
    // The metrics stay for two hours of CodeDeploy time, longer than any bake: Record reads a canary's baseline
    // over its whole bake after it ended.
    this.cloudWatch.store.retentionMs = Math.max(this.cloudWatch.store.retentionMs, this.minuteMs * 120);
    for (const [service, template] of options.serviceTemplates ?? []) {
      for (const alarm of templateAlarms(template)) this.cloudWatch.putMetricAlarm(alarm);
      this.groupAlarms.set(
        service,
        templateDeploymentGroups(template).flatMap((group) => group.alarms),
      );
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

  /** Lambda Invoke of one version with the event itself, on the version's own port. */
  async invokeEvent(service: ServiceConfig, version: string, event: JsonObject): Promise<EventInvokeResult> {
    this.assertOpen();
    let answer: HttpAnswer;
    try {
      answer = await this.lambda.invokeVersionEvent(service.name, version, event);
    } catch (error) {
      if (error instanceof NoAnswerError) {
        throw new Error(`${service.name} version ${version} did not answer the event: ${error.message}`);
      }
      throw error;
    }
    return eventInvokeResult(answer);
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
   * Preflight's question, asked as CloudWatchServiceAlarms asks it: DescribeAlarms of the service's own alarm
   * names in ALARM, less those judging a version that no longer serves.
   */
  async inAlarm(service: ServiceConfig, liveVersion?: string): Promise<string[]> {
    return this.cloudWatch
      .describeAlarms({ names: serviceAlarmNames(service.name), state: 'ALARM' })
      .filter((alarm) => blocksDeployments(dimensionValue(alarm.definition, 'ExecutedVersion'), liveVersion))
      .map((alarm) => alarm.name);
  }

  /**
   * Points the service's alarms at `version`, as CloudWatchServiceAlarms does in AWS: the same definitions
   * (lambdas/core/service-alarms.ts), written to the local CloudWatch with PutMetricAlarm, and an ALARM about
   * another version cleared with SetAlarmState.
   */
  async judge(service: ServiceConfig, version: string): Promise<void> {
    for (const definition of serviceAlarmDefinitions(service, version)) {
      const [current] = this.cloudWatch.describeAlarms({ names: [definition.AlarmName] });
      this.cloudWatch.putMetricAlarm(definition as unknown as MetricAlarmInput);
      const judged = current && dimensionValue(current.definition, 'ExecutedVersion');
      const reason = staleAlarmReason(current?.state, judged, version);
      if (reason) await this.cloudWatch.setAlarmState(definition.AlarmName, 'INSUFFICIENT_DATA', reason);
    }
  }

  /**
   * The canary's baseline from the local CloudWatch's metrics, as CloudWatchCanaryBaseline reads it with
   * GetMetricData: the same queries (lambdas/core/service-alarms.ts), one period over the whole bake.
   */
  async read(window: BakeWindow): Promise<CanaryBaseline> {
    const start = window.start.getTime();
    const end = Math.max(window.end.getTime(), start + 1);
    // The queries' period in CloudWatch seconds: whole minutes covering the (compressed) bake.
    const seconds = Math.max(60, Math.ceil((end - start) / this.minuteMs) * 60);
    const queries = [
      ...baselineQueries(window.service, window.toVersion, 'canary', seconds),
      ...(window.fromVersion ? baselineQueries(window.service, window.fromVersion, 'previous', seconds) : []),
    ];
    const values = this.cloudWatch.getMetricData(queries, start, end);
    const value = (id: string) => values.get(id);
    return {
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      canary: versionFigures(value, 'canary', window.toVersion),
      ...(window.fromVersion ? { previous: versionFigures(value, 'previous', window.fromVersion) } : {}),
    };
  }

  /** CloudWatch SetAlarmState: the state holds until the alarm's next evaluation, as in AWS. */
  async setAlarmState(alarmName: string, value: AlarmStateValue, reason: string): Promise<void> {
    await this.cloudWatch.setAlarmState(alarmName, value, reason);
  }

  /** CloudWatch PutMetricAlarm: defines or redefines an alarm (as the Deploy handler does in AWS). */
  putMetricAlarm(input: MetricAlarmInput): void {
    this.cloudWatch.putMetricAlarm(input);
  }

  /** The EMF metrics a service's versions printed, oldest first, with the version that printed each. */
  metrics(service: string): readonly LoggedMetric[] {
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
          requests: trafficCalls(service),
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
      alarmsInAlarm: () => {
        const names = this.groupAlarms.get(name) ?? [];
        if (names.length === 0) return [];
        return this.cloudWatch.describeAlarms({ names, state: 'ALARM' }).map((alarm) => ({
          name: alarm.name,
          reason: alarm.reason,
          since: this.alarmedAt.get(alarm.name) ?? Date.parse(alarm.updatedAt),
          periodMs: this.cloudWatch.realMs(alarm.definition.period),
        }));
      },
      log: this.log,
    };
  }
}
