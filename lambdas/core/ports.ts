/**
 * Ports: what a release needs from the outside world. Each has an AWS adapter (lambdas/adapters/aws/) and a
 * local implementation (local/), and the handlers see only these interfaces.
 */

import type { Ledger, ReleaseRecord } from '../ledger/ledger';
import type { ApprovalChannel, Catalog, JsonObject, ServiceConfig, SourceConfig } from './catalog/types';
import type { CommitInfo, ReleaseInfo, ReleaseRequest } from './model';
import type { PushEvent } from './push-routing';
import type { BakeWindow, CanaryBaseline } from './service-alarms';

export interface CatalogStore {
  load(): Promise<Catalog>;
}

export interface SourceRepository {
  /** The commit `ref` names (a sha), or the head of the tracked branch when `ref` is absent. */
  resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo>;
  /** Writes the tree of `sha` below `source.path` into `intoDir` (which exists and is empty). */
  checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void>;
  /**
   * The commits reachable from `untilSha` and not from `sinceSha` that touch `source.path`, newest first, at
   * most `limit` (a release's changes since the last production release). `untilSha` itself is always first.
   */
  listCommits(
    source: SourceConfig,
    untilSha: string,
    sinceSha?: string,
    limit?: number,
  ): Promise<CommitInfo[]>;
  /**
   * Files changed between two commits, relative to the repository root; undefined when they cannot be
   * compared (`fromSha` absent or unknown), which the router treats as "everything changed".
   */
  changedPaths(
    source: SourceConfig,
    fromSha: string | undefined,
    toSha: string,
  ): Promise<string[] | undefined>;
}

/** How many commits a release lists at most. */
export const MAX_RELEASE_COMMITS = 50;

export interface StoredArtifact {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ArtifactStore {
  put(key: string, body: Uint8Array): Promise<StoredArtifact>;
  get(key: string): Promise<Uint8Array>;
  /** The object, or undefined when there is none (a cache lookup: Build's dependency installs). */
  find(key: string): Promise<Uint8Array | undefined>;
}

/**
 * The `.npmrc` (registry URL and token) a service's dependency install gets: the secret its catalog entry names
 * (`dependencies.npmrcSecret`), Secrets Manager in AWS, a file locally.
 */
export interface NpmrcSource {
  /** undefined: npm's defaults (no token). */
  npmrcFor(service: ServiceConfig): Promise<string | undefined>;
}

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

export interface InvokeResult {
  readonly statusCode: number;
  readonly body: string;
  readonly latencyMs: number;
}

/** What one direct invocation with an event returned (Lambda Invoke, RequestResponse). */
export interface EventInvokeResult {
  /** The handler's result, parsed from its JSON payload (undefined when it returned nothing). */
  readonly payload: unknown;
  /** Set when the handler threw, timed out or crashed (Lambda's FunctionError): the error's type and message. */
  readonly functionError?: string;
  readonly latencyMs: number;
}

export type DeploymentStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped';

export interface DeploymentDescription {
  readonly deploymentId: string;
  readonly status: DeploymentStatus;
  readonly rolledBack: boolean;
  /** Why it failed or stopped, in words a person can act on. */
  readonly reason?: string;
  /** The alarm that stopped it, when one did. */
  readonly alarm?: string;
}

export interface StartDeploymentRequest {
  readonly service: ServiceConfig;
  readonly releaseId: string;
  /** The version live now; absent for a service's first release (then traffic moves all at once). */
  readonly fromVersion?: string;
  readonly toVersion: string;
  /**
   * Do not let the service's alarms stop this deployment (a rollback: it goes back to a known-good version
   * while the alarms are still firing about the bad one). @default false
   */
  readonly ignoreAlarms?: boolean;
}

/** Where a service runs: Lambda + CodeDeploy in AWS, local processes behind a weighted router locally. */
export interface DeployTarget {
  /** Loads the artifact as a new immutable version (not yet serving live traffic). */
  stageVersion(service: ServiceConfig, releaseId: string, artifactKey: string): Promise<{ version: string }>;
  /** Sends one request straight to a version (smoke tests). */
  invoke(service: ServiceConfig, version: string, request: HttpRequest): Promise<InvokeResult>;
  /** Invokes a version (or alias) directly with an event, as an event source would (event-driven smoke tests). */
  invokeEvent(service: ServiceConfig, version: string, event: JsonObject): Promise<EventInvokeResult>;
  /** The version the live alias serves now, or undefined before the first release. */
  liveVersion(service: ServiceConfig): Promise<string | undefined>;
  /**
   * Starts moving live traffic to `toVersion` as `service.deploy.strategy` says, watched by the service's
   * alarms. Returns at once; the end arrives as a CodeDeploy state-change event.
   */
  startDeployment(request: StartDeploymentRequest): Promise<{ deploymentId: string }>;
  describeDeployment(deploymentId: string): Promise<DeploymentDescription>;
  /**
   * Stops a deployment in progress and rolls live traffic back to the version it replaced (CodeDeploy
   * StopDeployment with autoRollbackEnabled). Its end still arrives as a state-change event.
   */
  stopDeployment(deploymentId: string, reason: string): Promise<void>;
}

/** The service's canary alarms: CloudWatch in AWS, the local alarms locally. */
export interface ServiceAlarms {
  /**
   * Names of the service's alarms in ALARM now that judge `liveVersion` (or no version yet): preflight refuses
   * to deploy into them. An alarm still judging another version (a canary that was rolled back, which gets no
   * traffic any more) does not block the next release.
   */
  inAlarm(service: ServiceConfig, liveVersion?: string): Promise<string[]>;
  /**
   * Points the service's alarms at `version` before its deployment starts, so the canary is judged on its own
   * traffic (lambdas/core/service-alarms.ts); an alarm the catalog defines that does not exist is created, so
   * CodeDeploy can read every alarm the deployment group names.
   */
  judge(service: ServiceConfig, version: string): Promise<void>;
}

/** Resumes a paused execution: SendTaskSuccess / SendTaskFailure. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface ApprovalNotification {
  readonly approvalId: string;
  readonly approver: string;
  readonly channel: ApprovalChannel;
  /** Signed, approver-bound, expiring link to the approval page. */
  readonly link: string;
  readonly release: ReleaseInfo;
  /** ISO 8601 */
  readonly expiresAt: string;
  /** Plain-text lines: tests, staging smoke result, changes. */
  readonly details: readonly string[];
}

export interface Notifier {
  notify(notification: ApprovalNotification): Promise<void>;
}

/** The HMAC key that signs approval links (and the GitHub webhook's shared secret). */
export interface SigningKeyProvider {
  signingKey(): Promise<Uint8Array>;
}

/** The token GitHubSource reads the GitHub REST API with. */
export interface GitHubTokenProvider {
  /** The token, without surrounding whitespace; never logged. */
  githubToken(): Promise<string>;
}

/** Where a finished release's DORA datapoints go: CloudWatch (EMF) in AWS, a file locally. */
export interface ReleaseMetricsSink {
  publish(release: ReleaseRecord): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** StartExecution of the release state machine. */
export interface ExecutionStarter {
  /**
   * Starts the execution of the request's attempt, named `executionNameOf(releaseId, attempt)`. `duplicate`
   * when one with that name exists already: a repeated delivery of the same push, which counts as success.
   */
  start(
    request: ReleaseRequest,
  ): Promise<{ readonly status: 'started' | 'duplicate'; readonly executionArn?: string }>;
}

/** StopExecution of the release state machine (`sluice cancel`). */
export interface ExecutionStopper {
  /**
   * Stops the execution named `name` (executionNameOf) with `error` and `cause`; it ends ABORTED, and its
   * status-change event reaches the execution-events handler. One that has ended already is left as it is.
   */
  stop(name: string, error: string, cause: string): Promise<void>;
}

/** Puts a normalized push event on the Sluice event bus (the GitHub webhook; local git watchers). */
export interface PushPublisher {
  publish(push: PushEvent): Promise<void>;
}

/** Ends an approval request at its expiry: EventBridge Scheduler in AWS, a timer in the local runtime. */
export interface ExpiryScheduler {
  /** Invokes the approval-expiry handler with `{ approvalId }` at `at`. */
  schedule(approvalId: string, at: Date): Promise<void>;
}

/** A Slack message (Block Kit), posted to the incoming webhook or sent to an interaction's response_url. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks?: readonly unknown[];
  readonly replace_original?: boolean;
}

/** Slack: the incoming webhook for requests, the signing secret for interactions. */
export interface SlackChannel {
  /** Posts to the configured incoming webhook; false when none is configured. */
  post(message: SlackMessage): Promise<boolean>;
  /** Updates the message an interaction came from (its response_url). */
  respond(responseUrl: string, message: SlackMessage): Promise<void>;
  /** The Slack app's signing secret (HMAC key for X-Slack-Signature). */
  signingSecret(): Promise<Uint8Array>;
}

/** Every port a handler may need; each handler picks the ones it uses (lambdas/runtime/wiring.ts). */
/**
 * What runs in the sandbox: code from a service repository, started with nothing of Sluice's (no credential,
 * no environment of the caller), in an emptied scratch folder.
 */
export interface SandboxRequest {
  /** The files to run in, as a zip archive, base64-encoded (see lambdas/runtime/checkout-archive.ts). */
  readonly checkout: string;
  /**
   * Commands run one after another in the archive's root, each `node <args>` or an npm step; the first one that
   * fails or times out ends the run.
   */
  readonly steps: readonly SandboxStep[];
  /** For all steps together; then the step's whole process tree is killed. */
  readonly timeoutMs: number;
  /**
   * An npm user config (`.npmrc`: registry, auth token) for this run's npm steps only. Written outside the
   * checkout, removed with the run, and its token values are blanked out of the output.
   * @default - npm's defaults, no token
   */
  readonly npmrc?: string;
  /**
   * A folder of the archive (e.g. `node_modules`) the runner packs into the result's `collected` when every
   * step passed: how an install comes back to Build.
   * @default - nothing collected
   */
  readonly collect?: string;
}

/**
 * `npm <args>` run with the npm CLI Sluice ships (never a shell, never the service's own npm): only the
 * subcommands of NPM_SUBCOMMANDS (lambdas/test-runner/npm-step.ts).
 */
export interface NpmStep {
  readonly npm: readonly string[];
}

/** Arguments of `node`, or an npm invocation. */
export type SandboxStep = readonly string[] | NpmStep;

/** The request's `collect` folder, packed (checkout-archive's zip) when small enough to come back inline. */
export interface CollectedFiles {
  /** Base64 zip; absent when larger than MAX_INLINE_COLLECT_BYTES (`bytes` says how large it was). */
  readonly zip?: string;
  readonly bytes: number;
}

export interface SandboxResult {
  /** Exit code of the last step run (null when it was killed). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** Tail of what the steps printed, stdout and stderr interleaved. */
  readonly output: string;
  /** The request's `collect` folder, when it asked for one and every step passed. */
  readonly collected?: CollectedFiles;
}

/**
 * Runs service code where no Sluice credential exists: a Lambda function whose role may only write its own logs
 * in AWS, a separate process with an explicit minimal environment locally.
 */
export interface TestSandbox {
  run(request: SandboxRequest): Promise<SandboxResult>;
}

/**
 * A canary's baseline: the new and the previous version's invocations, error rate and p99 over its bake.
 * GetMetricData in AWS, the local CloudWatch's metric store locally.
 */
export interface CanaryBaselines {
  read(window: BakeWindow): Promise<CanaryBaseline>;
}

export interface Ports {
  readonly catalog: CatalogStore;
  readonly source: SourceRepository;
  readonly artifacts: ArtifactStore;
  readonly deployTarget: DeployTarget;
  readonly alarms: ServiceAlarms;
  /** Read by Record after each canary. */
  readonly baselines: CanaryBaselines;
  readonly tasks: TaskCallbacks;
  readonly notifier: Notifier;
  readonly signingKeys: SigningKeyProvider;
  readonly ledger: Ledger;
  readonly releaseMetrics: ReleaseMetricsSink;
  readonly clock: Clock;
  /** Scratch space for checkouts and bundles (/tmp in Lambda). */
  readonly workDir: string;
  /** Where the service's tests run. */
  readonly testSandbox: TestSandbox;
  /** The private-registry .npmrc of Build's dependency install. */
  readonly npmrc: NpmrcSource;
  /** Base URL of the approval page, e.g. https://abc.lambda-url.us-east-1.on.aws */
  readonly approvalBaseUrl: string;
  /** StartExecution of the release state machine (the router). */
  readonly executions: ExecutionStarter;
  /** The Sluice event bus (the GitHub webhook puts pushes on it). */
  readonly pushes: PushPublisher;
  /** The GitHub webhook's shared secret. */
  readonly webhookSecret: SigningKeyProvider;
  /** Schedules each approval request's expiry. */
  readonly expiryScheduler: ExpiryScheduler;
  readonly slack: SlackChannel;
  /**
   * Compression of approval expiry: 1 in AWS; locally 60 by default, so 72 h last 72 min.
   */
  readonly approvalExpiryScale: number;
}
