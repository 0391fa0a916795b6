/**
 * The local runtime: the state machine CDK renders, run by aws-local-stepfunctions, every Task bound to the
 * handler module its Lambda runs, the ledger in DynamoDB Local, and local implementations of the ports.
 */
import './polyfills';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Catalog } from '../lambdas/core/catalog/types';
import type { ReleaseRequest, ReleaseTrigger } from '../lambdas/core/model';
import { type Clock, type Ports, systemClock } from '../lambdas/core/ports';
import { executionNameOf, releaseIdOf } from '../lambdas/core/push-routing';
import { type RollbackRequest, type RollbackStarted, startRollback } from '../lambdas/core/rollback';
import { Ledger, type ReleaseRecord } from '../lambdas/ledger/ledger';
import type { HandlerName } from '../lambdas/runtime/env';
import { logger } from '../lambdas/runtime/observability';
import { FileCatalogStore } from './adapters/file-catalog-store';
import { FileReleaseMetrics } from './adapters/file-release-metrics';
import { FolderArtifactStore } from './adapters/folder-artifact-store';
import { LocalGitSource } from './adapters/git-source';
import { LocalEventBus } from './adapters/local-event-bus';
import { LocalSigningKeys } from './adapters/local-keys';
import { OutboxNotifier } from './adapters/outbox-notifier';
import { LocalTaskBroker } from './adapters/task-broker';
import {
  LocalExpiryTimers,
  localSlack,
  newApiToken,
  type RuntimeInfo,
  writeRuntimeInfo,
} from './approval-runtime';
import { emitExecutionEnd } from './aws/stepfunctions/events';
import { type AslDefinition, type CfnTemplate, extractLocalDefinition, type TaskBinding } from './definition';
import { LocalDeployTarget } from './deploy-target';
import { type DynamoDbLocal, ensureTableFromTemplate, startDynamoDbLocal } from './dynamodb-local';
import { LocalExecutionStopper } from './execution-stopper';
import { type LambdaHandler, LocalHandlers } from './handlers';
import { endInterruptedReleases, LEDGER_DIR, removeHistory } from './history';
import {
  type ReleaseReport,
  releaseReport,
  runReleaseExecution,
  type StateEntered,
} from './release-execution';
import type { RollbackRunner } from './rollback-api';
import { localSandboxPorts } from './sandbox/local-npmrc';
import { LocalWebServer } from './web-server';

export interface LocalSluiceOptions {
  /** The service catalog. */
  readonly catalogFile: string;
  /**
   * Where the runtime keeps the ledger (DynamoDB Local's database in `ledger/`), release metrics, artifacts,
   * the outbox, scratch space and its signing key. The ledger and metrics span runs.
   */
  readonly stateDir: string;
  /**
   * Start clean: the ledger, release metrics, outbox and artifacts of earlier runs are removed (keys and
   * repositories stay). @default false
   */
  readonly fresh?: boolean;
  /** Where `<repository>` git repositories live for services without `source.localPath`. @default `<stateDir>/repos` */
  readonly reposDir?: string;
  /** Time compression: one minute of canary bake lasts 60 000 / timeScale ms. @default 60 */
  readonly timeScale?: number;
  /** Port of the approval and status web server on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** Load generator rate during deployments. @default 40 */
  readonly trafficPerSecond?: number;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
  /**
   * Compression of approval expiry (72 h last 72 min at 60), apart from the canary's timeScale. @default timeScale
   */
  readonly approvalExpiryScale?: number;
  /** Slack incoming webhook on 127.0.0.1 for services with the `slack` channel. @default - Slack not posted */
  readonly slackWebhookUrl?: string;
  /**
   * The handlers' clock (approval decisions and expiry checks, ledger timestamps). Tests pin it to decide at a
   * known time. The interpreter's Wait states and the canary's bake keep real time. @default the system clock
   */
  readonly clock?: Clock;
  /**
   * The synthesized pipeline template to run (its state machine and ledger table do not depend on the catalog).
   * Tests synthesize it once for many runtimes. @default synthesized in-process from the catalog
   */
  readonly template?: CfnTemplate;
  /**
   * Each service's synthesized stack, by service name: the local CloudWatch evaluates the alarms it defines.
   * @default synthesized in-process from the catalog
   */
  readonly serviceTemplates?: ReadonlyMap<string, CfnTemplate>;
  /**
   * A DynamoDB (Local) that is already running, and a table name: the runtime creates its ledger table there
   * when absent (`fresh`: drops it first) and leaves the database running when it closes.
   * @default its own DynamoDB Local, keeping its database in `<stateDir>/ledger`
   */
  readonly dynamoDb?: { readonly client: DynamoDBClient; readonly tableName: string };
  /** Sees each handler as the runtime builds it on its ports (the benchmark times every invocation). @default as built */
  readonly wrapHandler?: (name: HandlerName, handler: LambdaHandler) => LambdaHandler;
}

export interface StartReleaseRequest {
  readonly service: string;
  readonly commit?: string;
  readonly trigger?: ReleaseTrigger;
}

export interface ReleaseRun {
  readonly releaseId: string;
  /** True when an execution with this name already existed (a duplicate start is a no-op). */
  readonly duplicate: boolean;
  readonly done: Promise<ReleaseReport>;
}

const TABLE_NAME = 'sluice-ledger';

export type { ReleaseReport } from './release-execution';

export class LocalSluice {
  private readonly runs = new Map<string, ReleaseRun>();
  private readonly releaseListeners: ((run: ReleaseRun, request: ReleaseRequest) => void)[] = [];
  private readonly entered = new Map<string, StateEntered[]>();
  private readonly stateListeners = new Set<(entry: StateEntered) => void>();
  /** StopExecution of this runtime's executions (`sluice cancel`). */
  readonly stopper = new LocalExecutionStopper();
  private closed = false;
  private constructor(
    readonly options: LocalSluiceOptions,
    readonly catalog: Catalog,
    readonly definition: AslDefinition,
    private readonly bindings: readonly TaskBinding[],
    /** The DynamoDB Local this runtime started, stopped on close; undefined when it was given one. */
    private readonly ownDynamo: DynamoDbLocal | undefined,
    readonly ledger: Ledger,
    readonly source: LocalGitSource,
    readonly outbox: OutboxNotifier,
    readonly deployTarget: LocalDeployTarget,
    readonly web: LocalWebServer,
    private readonly broker: LocalTaskBroker,
    readonly expiry: LocalExpiryTimers,
    readonly ports: Ports,
    /** The local EventBridge: the template's buses and rules deliver every event (pushes, CodeDeploy, alarms). */
    readonly bus: LocalEventBus,
    /** The handler modules' handlers, built on this runtime's own ports. */
    readonly handlers: LocalHandlers,
    /** The release state machine's ARN, as its executions' status-change events carry it. */
    readonly stateMachineArn: string,
  ) {}

  static async start(options: LocalSluiceOptions): Promise<LocalSluice> {
    const log = options.log ?? (() => undefined);
    const stateDir = resolve(options.stateDir);
    if (options.fresh) await removeHistory(stateDir);
    await mkdir(stateDir, { recursive: true });
    // Handlers log through Powertools; the local runtime prints its own progress instead
    // (POWERTOOLS_LOG_LEVEL=INFO shows the handlers' JSON logs too).
    if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('SILENT');

    const catalogStore = new FileCatalogStore(options.catalogFile);
    const catalog = await catalogStore.load();
    log('Rendering the release state machine from the CDK construct…');
    // Loaded only when needed: the CDK app is most of the runtime's import time.
    const template =
      options.template ?? (await import('./synth')).synthPipelineTemplate(catalog, options.catalogFile);
    const { definition, bindings, table, stateMachineArn } = extractLocalDefinition(template);
    const handlers = new LocalHandlers(options.wrapHandler);
    const bus = LocalEventBus.fromTemplate(template, { log, invoke: handlers.invoke });
    const serviceTemplates =
      options.serviceTemplates ?? (await import('./synth')).synthServiceTemplates(catalog);

    if (!options.dynamoDb) log('Starting DynamoDB Local on 127.0.0.1…');
    const ownDynamo = options.dynamoDb
      ? undefined
      : await startDynamoDbLocal({ dbPath: join(stateDir, LEDGER_DIR) });
    const dynamoClient = options.dynamoDb?.client ?? ownDynamo!.client;
    const tableName = options.dynamoDb?.tableName ?? TABLE_NAME;
    let web: LocalWebServer | undefined;
    let deployTarget: LocalDeployTarget | undefined;
    let expiryTimers: LocalExpiryTimers | undefined;
    try {
      const fresh = options.fresh === true;
      const ledger = Ledger.forTable(dynamoClient, tableName);
      if ((await ensureTableFromTemplate(dynamoClient, tableName, table, { fresh })) === 'kept') {
        const services = catalog.services.map((s) => s.name);
        const ended = await endInterruptedReleases(ledger, services, (options.clock ?? systemClock).now());
        log(`Ledger kept from earlier runs${ended.length ? `; ended interrupted ${ended.join(', ')}` : ''}`);
      }
      const broker = new LocalTaskBroker();
      const outbox = new OutboxNotifier(join(stateDir, 'outbox'));
      const artifacts = new FolderArtifactStore(join(stateDir, 'artifacts'));
      const source = new LocalGitSource(options.reposDir ?? join(stateDir, 'repos'));
      const apiToken = newApiToken();
      let portsRef: Ports | undefined;
      let rollbackRunner: RollbackRunner | undefined;
      web = await LocalWebServer.start({
        port: options.port ?? 0,
        invoke: handlers.invoke,
        ledger,
        catalog,
        api: {
          token: apiToken,
          ports: () => {
            if (!portsRef) throw new Error('The local runtime is still starting');
            return portsRef;
          },
        },
        rollback: () => rollbackRunner,
        retry: () => portsRef,
        cancel: () => self && { ...self.ports, executionStopper: self.stopper },
      });
      const expiry = new LocalExpiryTimers(handlers.invoke);
      expiryTimers = expiry;
      deployTarget = new LocalDeployTarget({
        artifacts,
        workDir: join(stateDir, 'versions'),
        timeScale: options.timeScale ?? 60,
        trafficPerSecond: options.trafficPerSecond ?? 40,
        serviceTemplates,
        log,
        // CodeDeploy and CloudWatch send their events to the default bus; the template's rules deliver them.
        onEvent: async (event) => {
          await bus.emit(event);
        },
        onAlarm: async (event) => {
          await bus.emit(event);
        },
      });
      // StartExecution: the router reaches this runtime through the ExecutionStarter port.
      let self: LocalSluice | undefined;
      const ports: Ports = {
        catalog: catalogStore,
        source,
        artifacts,
        deployTarget,
        alarms: deployTarget,
        baselines: deployTarget,
        tasks: broker,
        notifier: outbox,
        signingKeys: new LocalSigningKeys(join(stateDir, 'signing.key')),
        ledger,
        releaseMetrics: new FileReleaseMetrics(join(stateDir, 'metrics', 'releases.jsonl')),
        clock: options.clock ?? systemClock,
        workDir: join(stateDir, 'work'),
        ...localSandboxPorts(stateDir),
        approvalBaseUrl: web.url,
        executions: {
          start: async (request) => {
            if (!self) throw new Error('The local runtime is not started yet');
            const run = await self.startExecution(request);
            return { status: run.duplicate ? 'duplicate' : 'started' };
          },
        },
        pushes: bus,
        webhookSecret: new LocalSigningKeys(join(stateDir, 'webhook-secret'), 'text'),
        expiryScheduler: expiry,
        slack: localSlack(stateDir, options.slackWebhookUrl),
        approvalExpiryScale: options.approvalExpiryScale ?? options.timeScale ?? 60,
      };
      portsRef = ports;
      handlers.bind(ports);
      const info: RuntimeInfo = { url: web.url, token: apiToken, pid: process.pid };
      await writeRuntimeInfo(stateDir, info);
      self = new LocalSluice(
        options,
        catalog,
        definition,
        bindings,
        ownDynamo,
        ledger,
        source,
        outbox,
        deployTarget,
        web,
        broker,
        expiry,
        ports,
        bus,
        handlers,
        stateMachineArn,
      );
      const sluice = self;
      rollbackRunner = (request) => sluice.rollback(request);
      return sluice;
    } catch (error) {
      expiryTimers?.close();
      await deployTarget?.close();
      await web?.close();
      await ownDynamo?.stop();
      throw error;
    }
  }

  /** Starts one execution (StartExecution). A second start of the same service and commit returns the first. */
  async release(request: StartReleaseRequest): Promise<ReleaseRun> {
    if (this.closed) throw new Error('The local runtime is closed');
    const config = this.catalog.services.find((s) => s.name === request.service);
    // An unknown service still runs (and is recorded as failed at LoadService), as it would in AWS.
    const sha = config
      ? (await this.source.resolveCommit(config.source, request.commit)).sha
      : (request.commit ?? 'unknown');
    return this.startExecution({
      releaseId: releaseIdOf(request.service, sha),
      service: request.service,
      ...(config ? { commit: sha } : request.commit ? { commit: request.commit } : {}),
      trigger: request.trigger ?? { source: 'manual' },
    });
  }

  /**
   * StartExecution named executionNameOf(releaseId, attempt): like Step Functions, a second start of the same
   * name starts nothing and returns the first run (marked duplicate), also when an earlier runtime on this
   * state folder ran it (the ledger, which spans runs, is at that attempt or later): its report is the ledger's.
   */
  async startExecution(input: ReleaseRequest): Promise<ReleaseRun> {
    if (this.closed) throw new Error('The local runtime is closed');
    const name = executionNameOf(input.releaseId, input.attempt);
    const earlier = this.runs.has(name) ? undefined : await this.ledger.getRelease(input.releaseId);
    // Read again after the await: a concurrent start of the same name may have begun meanwhile.
    const existing = this.runs.get(name);
    if (existing) return { ...existing, duplicate: true };
    if (earlier && (earlier.attempt ?? 1) >= (input.attempt ?? 1)) {
      const report = releaseReport(input, earlier, { transitions: 0, stages: [], durationMs: 0 });
      return { releaseId: input.releaseId, duplicate: true, done: Promise.resolve(report) };
    }
    const run: ReleaseRun = { releaseId: input.releaseId, duplicate: false, done: this.execute(input) };
    this.runs.set(name, run);
    for (const listener of [...this.releaseListeners]) listener(run, input);
    return run;
  }

  /** Calls `listener` for every execution started from now on (by the router, the CLI, the API). */
  onRelease(listener: (run: ReleaseRun, request: ReleaseRequest) => void): void {
    this.releaseListeners.push(listener);
  }

  /** The execution named `releaseId`, as soon as something (the router, the CLI) starts it. */
  waitForExecution(releaseId: string, timeoutMs = 60_000): Promise<ReleaseRun> {
    const existing = this.runs.get(releaseId);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolveRun, reject) => {
      const remove = () => {
        const at = this.releaseListeners.indexOf(listener);
        if (at >= 0) this.releaseListeners.splice(at, 1);
      };
      const timer = setTimeout(() => {
        remove();
        reject(new Error(`No execution ${releaseId} started within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (run: ReleaseRun) => {
        if (run.releaseId !== releaseId) return;
        clearTimeout(timer);
        remove();
        resolveRun(run);
      };
      this.releaseListeners.push(listener);
    });
  }

  /** Every execution started so far, by execution name (a release's first attempt: its release id). */
  executions(): ReadonlyMap<string, ReleaseRun> {
    return this.runs;
  }

  private taskOverrides(): Record<string, (input: unknown) => Promise<unknown>> {
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    const states = this.definition.States;
    for (const binding of this.bindings) {
      const timeoutMs = Math.min(Number(states[binding.stateName]?.TimeoutSeconds ?? 60) * 1000, 900_000);
      const invoke = (payload: unknown) => this.handlers.invoke(binding.handler, payload, timeoutMs);
      overrides[binding.stateName] = async (input: unknown) => {
        if (!binding.waitForTaskToken) return invoke(input);
        // lambda:invoke.waitForTaskToken: invoke with the Payload, then stay paused until the token's callback.
        const payload = (input as { Payload: { taskToken?: string } }).Payload;
        const token = payload.taskToken;
        if (!token) throw new Error(`${binding.stateName} was not given a task token`);
        const resumed = this.broker.wait(token);
        try {
          await invoke(payload);
        } catch (error) {
          this.broker.forget(token);
          throw error;
        }
        return resumed;
      };
    }
    return overrides;
  }

  private async execute(input: ReleaseRequest): Promise<ReleaseReport> {
    const log = this.options.log ?? (() => undefined);
    const started = Date.now();
    const history: StateEntered[] = [];
    this.entered.set(input.releaseId, history);
    const { transitions, stages, end } = await runReleaseExecution({
      definition: this.definition,
      stateMachineArn: this.stateMachineArn,
      bindings: this.bindings,
      input,
      startedAt: started,
      broker: this.broker,
      stopper: this.stopper,
      timeScale: this.options.timeScale ?? 60,
      taskOverrides: this.taskOverrides(),
      onStateEntered: (entry) => {
        history.push(entry);
        for (const listener of [...this.stateListeners]) listener(entry);
      },
      log,
    });
    const name = executionNameOf(input.releaseId, input.attempt);
    const ended = { stateMachineArn: this.stateMachineArn, name, input, end };
    await emitExecutionEnd(this.bus, { ...ended, startedAt: new Date(started) }, this.ports.clock, log);
    const record = await this.ledger.getRelease(input.releaseId);
    return releaseReport(input, record, { transitions, stages, durationMs: Date.now() - started });
  }

  /**
   * The first time the execution `releaseId` entered `state` (now, if it already has), with the state's input:
   * what a test waits for instead of guessing how long a step takes.
   */
  waitForState(releaseId: string, state: string, timeoutMs = 60_000): Promise<StateEntered> {
    const past = this.entered.get(releaseId)?.find((e) => e.state === state);
    if (past) return Promise.resolve(past);
    return new Promise((resolveEntry, reject) => {
      const timer = setTimeout(() => {
        this.stateListeners.delete(listener);
        reject(new Error(`${releaseId} did not enter ${state} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (entry: StateEntered) => {
        if (entry.releaseId !== releaseId || entry.state !== state) return;
        clearTimeout(timer);
        this.stateListeners.delete(listener);
        resolveEntry(entry);
      };
      this.stateListeners.add(listener);
    });
  }

  /** Pending approvals' links land in the outbox; this waits for the next one for a release. */
  waitForApprovalLink(
    releaseId: string,
    timeoutMs = 60_000,
  ): Promise<{ link: string; approver: string; file: string }> {
    const sent = this.outbox.sent.find((s) => s.notification.release.releaseId === releaseId);
    if (sent)
      return Promise.resolve({
        link: sent.notification.link,
        approver: sent.notification.approver,
        file: sent.file,
      });
    return new Promise((resolveLink, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`No approval request for ${releaseId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.outbox.onNotify((n, file) => {
        if (n.release.releaseId === releaseId) {
          clearTimeout(timer);
          resolveLink({ link: n.link, approver: n.approver, file });
        }
      });
    });
  }

  /**
   * `sluice rollback`: redeploys the last known-good (or the named) release's version through the same lock and
   * deploy target, and resolves with the rollback's ledger record once the deployment has ended.
   */
  async rollback(request: RollbackRequest): Promise<ReleaseRecord> {
    if (this.closed) throw new Error('The local runtime is closed');
    const started: RollbackStarted = await startRollback(request, this.ports);
    this.options.log?.(
      `${started.service}: rollback ${started.releaseId} by ${request.requestedBy}: v${started.fromVersion ?? '-'} → v${started.toVersion} (${started.toReleaseId})`,
    );
    // The deployment-events handler records the end before the deployment's last event is acknowledged.
    await this.deployTarget.waitForDeployment(started.deploymentId);
    return this.ledger.requireRelease(started.releaseId);
  }

  /** What `<stateDir>/runtime.json` says: where the CLI reaches this runtime, and its API token. */
  async runtimeInfo(): Promise<RuntimeInfo> {
    return JSON.parse(
      await readFile(join(resolve(this.options.stateDir), 'runtime.json'), 'utf8'),
    ) as RuntimeInfo;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await rm(join(resolve(this.options.stateDir), 'runtime.json'), { force: true });
    this.expiry.close();
    await this.deployTarget.close();
    await this.web.close();
    await this.ownDynamo?.stop();
  }
}
