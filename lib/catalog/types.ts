/**
 * The service catalog: one file (sluice.catalog.json) that drives both `cdk synth` and the local runtime.
 * Pure types and defaults, no CDK imports, so the Lambda handlers can bundle it.
 */

import type { FreezePeriod, ReleaseWindow } from '../../lambdas/shared/release-windows';

export type { FreezePeriod, ReleaseWindow };

/** How a service reaches production: a person approves (delivery) or alarms decide (deployment). */
export type ReleaseMode = 'delivery' | 'deployment';

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
}

export interface RuntimeConfig {
  /** Handler source file, relative to `source.path`. */
  readonly entry: string;
  /** Exported handler function name. @default 'handler' */
  readonly handler: string;
  /** Folder with the service's own tests (`*.test.ts` / `*.test.js`, run with node:test), relative to `source.path`. @default 'test' */
  readonly tests: string;
}

export interface SmokeConfig {
  /** HTTP request sent to the staged version (Lambda function URL event shape). @default GET / */
  readonly path: string;
  /** @default 'GET' */
  readonly method: string;
  /** Status the staged version must answer with. @default 200 */
  readonly expectStatus: number;
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
  /** Weekly windows in which an approved release may deploy. @default - any time */
  readonly windows?: readonly ReleaseWindow[];
  /** Periods in which no approved release deploys. @default - none */
  readonly freezes?: readonly FreezePeriod[];
}

export interface AlarmConfig {
  /** Canary alarm: percentage of failed invocations (errors or 5xx) over one minute. @default 5 */
  readonly errorRatePercent: number;
  /** Canary alarm: p99 latency in milliseconds over one minute. @default 1000 */
  readonly p99LatencyMs: number;
}

export interface DeployConfig {
  /** @default 'Canary10Percent5Minutes' */
  readonly strategy: DeployStrategy;
  readonly alarms: AlarmConfig;
}

export interface ServiceConfig {
  /** Lowercase letters, digits and dashes; also names the AWS resources (`sluice-<name>`). */
  readonly name: string;
  readonly mode: ReleaseMode;
  readonly source: SourceConfig;
  readonly runtime: RuntimeConfig;
  readonly smoke: SmokeConfig;
  /** Required for `delivery` services. */
  readonly approval?: ApprovalPolicy;
  readonly deploy: DeployConfig;
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

/** The AWS name of everything that belongs to one service (function, alias target, deployment group). */
export function serviceResourceName(service: string): string {
  return `sluice-${service}`;
}
