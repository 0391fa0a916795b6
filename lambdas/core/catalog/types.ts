/**
 * The service catalog: one file (sluice.catalog.json) that drives both `cdk synth` and the local runtime.
 * Pure types and defaults, no CDK imports, so the Lambda handlers can bundle it.
 */

import type { AuditLevel } from '../npm-audit';
import type { FreezePeriod, ReleaseWindow } from '../release-windows';

export type { FreezePeriod, ReleaseWindow };

/** How a release reaches production: a person approves (delivery) or alarms decide (deployment). */
export type ReleaseMode = 'delivery' | 'deployment';

/**
 * A service's mode in the catalog. `auto`: Sluice moves the service from delivery to deployment when its
 * readiness checks pass, and back after a rolled-back production release (it starts in delivery).
 */
export type CatalogMode = ReleaseMode | 'auto';

export type SourceProvider = 'codecommit' | 'github';

export type ApprovalChannel = 'email' | 'slack';

/** CodeDeploy's predefined Lambda deployment configurations (without the `CodeDeployDefault.Lambda` prefix). */
export const DEPLOY_STRATEGIES = [
  'AllAtOnce',
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];

export interface SourceConfig {
  /** CodeCommit repository name, or `owner/name` for GitHub. */
  readonly repository: string;
  /** @default 'codecommit' */
  readonly provider: SourceProvider;
  /** The tracked branch. @default 'main' */
  readonly branch: string;
  /** Folder of the service inside the repository (monorepos). @default '.' */
  readonly path: string;
  /**
   * A local git repository used instead of `repository` by the local runtime.
   * Relative paths resolve against the catalog file's folder.
   * @default - `<reposDir>/<repository>` of the local runtime
   */
  readonly localPath?: string;
  /**
   * Globs (picomatch, relative to the repository root) of the files whose change releases this service; a push
   * touching none of them starts no release of it (monorepos with several services).
   * @default - `<path>/**` when `path` is a folder, every file when it is `.`
   */
  readonly paths?: readonly string[];
}

export interface RuntimeConfig {
  /** Handler source file, relative to `source.path`. */
  readonly entry: string;
  /** Exported handler function name. @default 'handler' */
  readonly handler: string;
  /** Folder with the service's own tests (`*.test.ts` / `*.test.js`, run with node:test), relative to `source.path`. @default 'test' */
  readonly tests: string;
  /**
   * The command that runs the service's tests in the test sandbox, without a shell: `npm test`, `npm run <script>`
   * or `node <args>`. @default - `npm test` when package.json has a test script, else the node:test files in `tests`
   */
  readonly testCommand?: string;
}

/** A JSON object from the catalog (an event, or what a result must contain). */
export type JsonObject = { readonly [key: string]: unknown };

/** The smoke check of an HTTP handler: one request in the function URL event shape. */
export interface HttpSmokeConfig {
  /** HTTP request sent to the staged version (Lambda function URL event shape). @default GET / */
  readonly path: string;
  /** @default 'GET' */
  readonly method: string;
  /** Status the staged version must answer with. @default 200 */
  readonly expectStatus: number;
}

/** The smoke check of an event-driven handler (SQS, EventBridge, a schedule…): one direct invocation. */
export interface EventSmokeConfig {
  /** The event the staged version is invoked with (Lambda Invoke, RequestResponse), as the event source sends it. */
  readonly event: JsonObject;
  /**
   * What the handler's result must contain: each key with an equal value (objects are matched key by key, arrays
   * and other values exactly). @default - only that the handler neither throws nor reports failed batch items
   */
  readonly expect?: unknown;
}

/** What Stage (and, after the shift, the post-traffic hook) sends a version before it may go further. */
export type SmokeConfig = HttpSmokeConfig | EventSmokeConfig;

/** Whether the smoke check is an event invoked directly rather than an HTTP request. */
export function isEventSmoke(smoke: SmokeConfig): smoke is EventSmokeConfig {
  return 'event' in smoke;
}

/** Who may call a service's function URL, which sits on its `live` alias. */
export const FUNCTION_URL_AUTH_TYPES = ['AWS_IAM', 'NONE'] as const;
export type FunctionUrlAuthType = (typeof FUNCTION_URL_AUTH_TYPES)[number];

export interface FunctionUrlConfig {
  /**
   * `AWS_IAM`: callers sign their requests (SigV4) and need `lambda:InvokeFunctionUrl` and
   * `lambda:InvokeFunction` on the function; `NONE`:
   * anyone may call it and the service authenticates callers itself.
   * @default 'AWS_IAM'
   */
  readonly authType: FunctionUrlAuthType;
}

export interface ApprovalPolicy {
  /** Email addresses of the people allowed to approve. */
  readonly approvers: readonly string[];
  /** Approvals needed before the release proceeds. @default 1 */
  readonly required: number;
  /** @default 72 */
  readonly expiresAfterHours: number;
  /** @default ['email'] */
  readonly channels: readonly ApprovalChannel[];
  /** Approver email → Slack user id (U…): who a Slack button press decides as. @default - no Slack decisions */
  readonly slackUserIds?: Readonly<Record<string, string>>;
  /**
   * Approver email → who else that person is: the identities no-self-approval compares with the authors,
   * committers and pushers of a release's changes, and that `sluice approve --aws` maps the caller's AWS
   * principal through. @default - each approver is only their approver email
   */
  readonly identities?: Readonly<Record<string, ApproverIdentities>>;
  /** Weekly windows in which an approved release may deploy. @default - any time */
  readonly windows?: readonly ReleaseWindow[];
  /** Periods in which no approved release deploys. @default - none */
  readonly freezes?: readonly FreezePeriod[];
}

/** The identities of one approver besides their approver email. */
export interface ApproverIdentities {
  /** Email addresses they author or commit with. @default [] */
  readonly gitEmails?: readonly string[];
  /** GitHub logins they push as. @default [] */
  readonly githubLogins?: readonly string[];
  /**
   * IAM principals they act as: a user (`arn:aws:iam::<account>:user/<name>`), a role, meaning any of its
   * sessions (`arn:aws:iam::<account>:role/<name>`), or one session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
   * @default []
   */
  readonly iamPrincipals?: readonly string[];
}

export interface AlarmConfig {
  /** Canary alarm: percentage of failed invocations (errors, 5xx or failed batch items) over one minute. @default 5 */
  readonly errorRatePercent: number;
  /** Canary alarm: p99 latency in milliseconds over one minute. @default 1000 */
  readonly p99LatencyMs: number;
  /** A business metric that must not cross its threshold (e.g. completed orders dropping). @default - none */
  readonly business?: BusinessAlarmConfig;
}

/** CloudWatch statistics a business alarm may use. */
export const METRIC_STATISTICS = ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'] as const;
export type MetricStatistic = (typeof METRIC_STATISTICS)[number];

/** `below`: alarm when the statistic drops under the threshold (sign-ups stop); `above`: when it exceeds it. */
export const ALARM_DIRECTIONS = ['below', 'above'] as const;
export type AlarmDirection = (typeof ALARM_DIRECTIONS)[number];

/** Any CloudWatch metric with a threshold and a direction; the service emits it (e.g. as an EMF log line). */
export interface BusinessAlarmConfig {
  readonly namespace: string;
  readonly metricName: string;
  /** @default {} */
  readonly dimensions: Readonly<Record<string, string>>;
  /** @default 'Sum' */
  readonly statistic: MetricStatistic;
  readonly threshold: number;
  readonly direction: AlarmDirection;
  /** One-minute periods that must breach before the alarm fires. @default 1 */
  readonly periods: number;
  /**
   * A dimension the service sets to its Lambda version (`process.env.AWS_LAMBDA_FUNCTION_VERSION`): then the
   * alarm judges the version being deployed alone, so a canary that stops emitting the metric is rolled back
   * even while the previous version still emits it.
   * @default - the metric is the service's as a whole, judged in the minutes the new version had invocations
   */
  readonly versionDimension?: string;
}

/** One request the local load generator sends during a deployment (it cycles through `deploy.traffic`). */
export interface TrafficRequest {
  readonly method: string;
  readonly path: string;
  /** JSON request body. @default - none */
  readonly body?: string;
}

/** One event the local load generator invokes an event-driven handler with during a deployment. */
export interface TrafficEvent {
  readonly event: JsonObject;
}

export type TrafficEntry = TrafficRequest | TrafficEvent;

export interface DeployConfig {
  /** @default 'Canary10Percent5Minutes' */
  readonly strategy: DeployStrategy;
  readonly alarms: AlarmConfig;
  /**
   * Requests (HTTP handlers) or events (event-driven handlers, like the smoke check) the local load generator
   * cycles through during a bake. @default - the smoke request or event
   */
  readonly traffic?: readonly TrafficEntry[];
}

export interface ServiceConfig {
  /** Lowercase letters, digits and dashes; also names the AWS resources (`sluice-<name>`). */
  readonly name: string;
  readonly mode: CatalogMode;
  readonly source: SourceConfig;
  readonly runtime: RuntimeConfig;
  readonly smoke: SmokeConfig;
  /** The function URL on the `live` alias. @default - a URL with `AWS_IAM` auth */
  readonly functionUrl?: FunctionUrlConfig;
  /** Required for `delivery` and `auto` services. */
  readonly approval?: ApprovalPolicy;
  readonly deploy: DeployConfig;
  /**
   * Readiness thresholds for `auto` switching and for the recommendation delivery services get.
   * @default - the defaults of each field
   */
  readonly readiness?: ReadinessConfig;
  /** How Build installs the service's npm dependencies. @default - scripts off, npm's default registry */
  readonly dependencies?: DependenciesConfig;
}

/** The npm install at Build (`npm ci` from package-lock.json, in the sandbox). */
export interface DependenciesConfig {
  /**
   * Packages whose install scripts (preinstall, install, postinstall) may run. Any other package of the lockfile
   * with an install script stops the build, named; with none listed, `npm ci --ignore-scripts`.
   * @default - none
   */
  readonly allowInstallScripts?: readonly string[];
  /**
   * The secret holding the `.npmrc` for a private registry (registry URL and token): a Secrets Manager secret
   * name in AWS, a file `<state dir>/secrets/<name>` locally. Given to the sandbox for the install step only.
   * @default - npm's default registry, no token
   */
  readonly npmrcSecret?: string;
  /**
   * SPDX licence ids no bundled package may carry (`AGPL-3.0` also refuses `AGPL-3.0-only` and `-or-later`; a
   * choice such as `MIT OR AGPL-3.0` is refused only when every alternative is).
   * @default - none
   */
  readonly deniedLicenses?: readonly string[];
  /**
   * The lowest `npm audit` severity that stops Build (`low`, `moderate`, `high`, `critical`): advisories at or
   * above it name the package, the advisory and the fix. An audit that could not run (no audit endpoint, an
   * unreachable registry) does not stop Build; the record says the level could not be checked.
   * @default - report only: advisories are shown, nothing is refused
   */
  readonly auditLevel?: AuditLevel;
}

export interface Catalog {
  readonly version: 1;
  readonly services: readonly ServiceConfig[];
}

/** One problem found in a catalog: where, what was there, and how to fix it. */
export interface CatalogProblem {
  /** JSON path, e.g. `services[1].deploy.strategy`. */
  readonly path: string;
  /** The value received, JSON-encoded (`undefined` when missing). */
  readonly received: string;
  readonly fix: string;
}

/** The alias that serves a service's live traffic: CodeDeploy shifts it, callers invoke it. */
export const LIVE_ALIAS = 'live';

/** The AWS name of everything that belongs to one service (function, alias target, deployment group). */
export function serviceResourceName(service: string): string {
  return `sluice-${service}`;
}

/**
 * When a delivery service counts as ready for continuous deployment: an `auto` service switches on it; a
 * `delivery` service gets it as a recommendation.
 */
export interface ReadinessConfig {
  /** Production releases in a row without a rollback or rejection. @default 5 */
  readonly minCleanReleases?: number;
  /** Highest change failure rate, 0..1. @default 0.15 */
  readonly maxChangeFailureRate?: number;
  /** Highest median time to restore, in minutes. @default 60 */
  readonly maxTimeToRestoreMinutes?: number;
  /** Lowest share (0..1) of decided releases where people agreed with the shadow verdict. @default 0.8 */
  readonly minShadowAgreement?: number;
  /** How many of the newest releases are evidence. @default 20 */
  readonly window?: number;
  /** An approval within this many seconds, with no comment, counts as a rubber stamp. @default 120 */
  readonly rubberStampSeconds?: number;
}

/** The alarms Sluice creates for a service (CloudWatch in AWS, the local alarms locally). */
export const SERVICE_ALARMS = ['error-rate', 'p99-latency', 'business'] as const;
export type ServiceAlarmKind = (typeof SERVICE_ALARMS)[number];

/** `sluice-<service>-<kind>`: the alarm-events handler reads the service back from the name. */
export function serviceAlarmName(service: string, kind: ServiceAlarmKind): string {
  return `${serviceResourceName(service)}-${kind}`;
}

/** Every alarm name a service may have, whether or not its catalog entry defines that kind. */
export function serviceAlarmNames(service: string): string[] {
  return SERVICE_ALARMS.map((kind) => serviceAlarmName(service, kind));
}

const SERVICE_ALARM_NAME = new RegExp(`^sluice-([a-z][a-z0-9-]*[a-z0-9])-(${SERVICE_ALARMS.join('|')})$`);

/** The service and alarm kind of a Sluice alarm name, or undefined for any other alarm. */
export function parseServiceAlarmName(
  alarmName: string,
): { service: string; kind: ServiceAlarmKind } | undefined {
  const match = SERVICE_ALARM_NAME.exec(alarmName);
  const [, service, kind] = match ?? [];
  return service && kind ? { service, kind: kind as ServiceAlarmKind } : undefined;
}
