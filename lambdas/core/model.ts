import type { Catalog, ReleaseMode, ServiceConfig } from './catalog/types';
import type { NpmAuditOutcome } from './npm-audit';

/** Where a release was started from. */
export interface ReleaseTrigger {
  readonly source: 'manual' | 'codecommit' | 'github' | 'local-git' | 'demo';
  /** Who or what started it (an email, a pusher's login). */
  readonly actor?: string;
  /** Every name the push's source gives the pusher (login, email, sender): no-self-approval compares them all. */
  readonly actorIdentities?: readonly string[];
  /** The GitHub delivery (X-GitHub-Delivery) that carried the push, kept with the release in the ledger. */
  readonly delivery?: string;
}

/**
 * The input of one execution of the release state machine. The execution name equals `releaseId`, so a
 * duplicate event can never start a duplicate release.
 */
export interface ReleaseRequest {
  readonly releaseId: string;
  readonly service: string;
  /**
   * Which attempt of the release this execution is (`sluice retry` starts the next); it names the execution
   * (executionNameOf).
   * @default 1
   */
  readonly attempt?: number;
  /** Who asked for this attempt and why (`sluice retry`); present from attempt 2 on. */
  readonly retry?: { readonly requestedBy: string; readonly reason: string };
  /** Commit to release; the head of the tracked branch when absent. */
  readonly commit?: string;
  readonly trigger: ReleaseTrigger;
}

export interface CommitInfo {
  readonly sha: string;
  readonly author: string;
  /** Who committed it, `Name <email>` (differs from the author after a rebase, a cherry-pick, a web merge). */
  readonly committer?: string;
  readonly message: string;
  /** ISO 8601 */
  readonly time: string;
}

export interface ReleaseInfo {
  readonly releaseId: string;
  readonly service: string;
  /** The mode this release runs in: the catalog's, or for an `auto` service the one it has earned. */
  readonly mode: ReleaseMode;
  readonly commit: CommitInfo;
  /**
   * Every commit this release includes since the service's last production release, newest first (the
   * approval page shows them; lead time is measured from them). Absent before LoadService computes it.
   */
  readonly commits?: readonly CommitInfo[];
  /** ISO 8601 */
  readonly startedAt: string;
  readonly trigger: ReleaseTrigger;
}

/** A commit's author as Sluice shows it: `Name <email>`, or whichever of the two the source knows. */
export function formatAuthor(name: string | undefined, email: string | undefined): string {
  if (name && email) return `${name} <${email}>`;
  return name || email || 'unknown';
}

/** The commits a release ships: those since the last production release, at least its own head commit. */
export function commitsOf(release: Pick<ReleaseInfo, 'commit' | 'commits'>): readonly CommitInfo[] {
  return release.commits?.length ? release.commits : [release.commit];
}

export interface BuildResult {
  readonly artifactKey: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly durationMs: number;
  /** The npm packages bundled, when the service has any (lambdas/build/sbom.ts). */
  readonly dependencies?: BuiltDependencies;
}

/** The bundled npm packages against the live release's, by name. Entries read `name@version (licence)`. */
export interface DependencyChanges {
  /** False when there is no live release, or it has no SBOM: everything counts as added. */
  readonly comparedWithLive: boolean;
  readonly packages: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** `name old → new (licence)` */
  readonly changed: readonly string[];
}

export interface BuiltDependencies extends DependencyChanges {
  /** The CycloneDX SBOM beside the artifact. */
  readonly sbomKey: string;
  /**
   * `npm audit` of the lockfile's production dependencies (lambdas/build/audit.ts). The bare string `'not run'` is
   * what records written before Sluice ran npm audit hold.
   */
  readonly audit: NpmAuditOutcome | 'not run';
}

export interface TestResult {
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
}

/** Where a test run's counts come from: the runner's TAP, JUnit XML or jest JSON output, or its exit code alone. */
export type TestReportSource = 'tap' | 'junit' | 'jest-json' | 'exit-code';

/** One run of a service's tests, as the release records it (passed or not). */
export interface TestReport {
  /** What ran: `npm test`, `npm run test:unit`, `node --test (3 files)`. */
  readonly command: string;
  readonly source: TestReportSource;
  readonly passed: number;
  readonly failed: number;
  /** Names of the failed tests, as the runner reported them (at most 20). */
  readonly failures: readonly string[];
  /** null when the command was killed (the timeout). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The end of the output, when the counts alone cannot say what went wrong. */
  readonly outputTail?: string;
}

export interface StageResult {
  readonly version: string;
  /**
   * The smoke check's answer: an HTTP status, or 200 for an event invoked directly (Lambda Invoke's status);
   * `summary` says what was sent and what came back ("GET / → 200", "event → {…}").
   */
  readonly smoke: { readonly status: number; readonly latencyMs: number; readonly summary?: string };
}

export type ApprovalDecision = 'approved' | 'rejected';

export interface ApprovalResult {
  readonly approvalId: string;
  readonly decision: ApprovalDecision;
  readonly decidedBy: string;
  readonly comment?: string;
  /** ISO 8601 */
  readonly decidedAt: string;
  /**
   * When approved: when Deploy may start (ISO 8601; the ScheduledRelease Wait state waits until then). The
   * approvers' requested release time, moved to the next open release window outside any freeze.
   */
  readonly releaseAt?: string;
  /** Why the deploy waits past the decision (a requested time, a closed window, a freeze). */
  readonly holdReason?: string;
}

export interface DeployResult {
  readonly deploymentId: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly strategy: string;
}

/** Step Functions' Catch output. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** The state document as it flows through the release state machine (each stage adds its field). */
export interface ReleaseDocument extends ReleaseRequest {
  readonly release: ReleaseInfo;
  readonly config: ServiceConfig;
  readonly build?: BuildResult;
  readonly test?: TestResult;
  readonly stage?: StageResult;
  readonly approval?: ApprovalResult;
  readonly deploy?: DeployResult;
  /** Set by a stage's Catch. */
  readonly failure?: CaughtError;
  /** Set by the Pass state after a stage's Catch: which stage failed. */
  readonly failedStage?: { readonly stage: StageName };
}

export const STAGE_NAMES = ['LoadService', 'Build', 'Test', 'Stage', 'Approval', 'Deploy', 'Record'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/**
 * `expired`: no decision before the approval expired. `superseded`: a newer release of the service replaced it
 * at the gate. `blocked`: preflight found the service's alarms already in ALARM, so nothing was deployed.
 */
export type ReleaseStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'rolled_back'
  | 'expired'
  | 'superseded'
  | 'blocked'
  /** The execution was stopped (StopExecution, the console) before Record wrote an outcome. */
  | 'aborted'
  /** The execution hit its own timeout before Record wrote an outcome. */
  | 'timed_out'
  /** A person stopped it (`sluice cancel`): who and why are the record's `cancellation`. */
  | 'cancelled';

export interface ReleaseOutcome {
  readonly status: ReleaseStatus;
  /** The stage the release ended at. */
  readonly stage: StageName;
  readonly reason?: string;
  /** The alarm that stopped the deployment or blocked it at preflight. */
  readonly alarm?: string;
  /** ISO 8601 */
  readonly endedAt: string;
}

/**
 * The mode a new release runs in: an `auto` service's stored mode (it starts in delivery), else the
 * catalog's.
 */
export function modeForRelease(
  config: Pick<ServiceConfig, 'mode'>,
  stored: { readonly mode: ReleaseMode } | undefined,
): ReleaseMode {
  return config.mode === 'auto' ? (stored?.mode ?? 'delivery') : config.mode;
}

export type { Catalog, ServiceConfig };
