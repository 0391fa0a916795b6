/**
 * The release ledger: one DynamoDB table (single-table design), the same code in Lambda and locally
 * (against DynamoDB Local). Conditional writes make every transition safe to retry. This façade is the one
 * way in; each aggregate keeps its items in its own module:
 *
 *   releases.ts       RELEASE#<id>    / RELEASE       a release, its stages and outcome
 *   approvals.ts      APPROVAL#<id>   / APPROVAL      an approval request, its votes and decision
 *                     APPROVAL#<id>   / AUDIT#<at>#n  its audit trail
 *   service-state.ts  SERVICE#<svc>   / STATE         what is live; the production deployment lock and queue
 *                     DEPLOYMENT#<id> / DEPLOYMENT    deployment id -> release, for the CodeDeploy event handler
 *   modes.ts          SERVICE#<svc>   / MODE          an auto service's mode (and MODESWITCH#<at>#<release>)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReleaseMode } from '../core/catalog/types';
import {
  modeForRelease,
  type ReleaseInfo,
  type ReleaseOutcome,
  type ServiceConfig,
  type StageName,
} from '../core/model';
import {
  type ApprovalClosing,
  ApprovalItems,
  type ApprovalRecord,
  type ApprovalVote,
  type AuditEvent,
} from './approvals';
import { type ModeSwitch, type ServiceMode, ServiceModeItems } from './modes';
import {
  type AttemptStart,
  type Cancellation,
  ReleaseItems,
  type ReleaseRecord,
  type ReleaseUpdate,
  type StageRecord,
} from './releases';
import {
  type DeploymentLink,
  type QueuedDeployment,
  type ServiceState,
  ServiceStateItems,
} from './service-state';

export type {
  ApprovalChannelUsed,
  ApprovalClosing,
  ApprovalRecord,
  ApprovalStatus,
  ApprovalVote,
  AuditEvent,
  AuditKind,
} from './approvals';
export { LedgerConflictError, ReleaseNotFoundError } from './errors';
export type { ModeSwitch, ServiceMode } from './modes';
export type {
  AttemptRecord,
  AttemptStart,
  BuiltArtifact,
  Cancellation,
  ReleaseRecord,
  ReleaseUpdate,
  RollbackInfo,
  ShadowRecord,
  ShadowVerdict,
  StageRecord,
  StageStatus,
} from './releases';
export type { DeploymentLink, QueuedDeployment, ServiceState } from './service-state';
export { LEDGER_KEYS } from './table';

export class Ledger {
  private readonly releases: ReleaseItems;
  private readonly approvals: ApprovalItems;
  private readonly services: ServiceStateItems;
  private readonly modes: ServiceModeItems;

  private constructor(
    client: DynamoDBDocumentClient,
    /** The DynamoDB table the ledger lives in. */
    readonly tableName: string,
  ) {
    const table = { client, tableName };
    this.releases = new ReleaseItems(table);
    this.approvals = new ApprovalItems(table);
    this.services = new ServiceStateItems(table);
    this.modes = new ServiceModeItems(table);
  }

  /**
   * The ledger on `tableName` through `dynamo`, marshalled as every ledger write needs (optional fields left
   * undefined are dropped, e.g. in a queued deployment's service config). The only way to build one.
   */
  static forTable(dynamo: DynamoDBClient, tableName: string): Ledger {
    return new Ledger(
      DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      tableName,
    );
  }

  // Releases

  /** Creates the release record; a retry of the same release (same id) leaves the first record as it is. */
  startRelease(release: ReleaseInfo): Promise<void> {
    return this.releases.start(release);
  }

  recordStage(releaseId: string, stage: StageName, record: StageRecord): Promise<void> {
    return this.releases.recordStage(releaseId, stage, record);
  }

  /** Keeps the ended attempt in `attempts` and opens the next one, running (a retry). */
  startAttempt(releaseId: string, next: AttemptStart): Promise<ReleaseRecord> {
    return this.releases.startAttempt(releaseId, next);
  }

  /** Marks a running release as cancelled, once (`sluice cancel`); LedgerConflictError when it ended meanwhile. */
  requestCancel(releaseId: string, cancellation: Cancellation): Promise<ReleaseRecord> {
    return this.releases.requestCancel(releaseId, cancellation);
  }

  /** Sets top-level attributes of a release (version, deploymentId, deployTaskToken, artifact, ...). */
  updateRelease(releaseId: string, fields: ReleaseUpdate): Promise<void> {
    return this.releases.update(releaseId, fields);
  }

  /** Writes the outcome once, creating a minimal record when the release failed before it had one. */
  finishRelease(releaseId: string, service: string, outcome: ReleaseOutcome): Promise<void> {
    return this.releases.finish(releaseId, service, outcome);
  }

  getRelease(releaseId: string): Promise<ReleaseRecord | undefined> {
    return this.releases.get(releaseId);
  }

  /** The release, or ReleaseNotFoundError. */
  requireRelease(releaseId: string): Promise<ReleaseRecord> {
    return this.releases.require(releaseId);
  }

  /** Newest first. */
  listReleases(service: string, limit = 50): Promise<ReleaseRecord[]> {
    return this.releases.list(service, limit);
  }

  /** Every release of `service` started at or after `since` (ISO 8601), newest first, across pages. */
  listReleasesSince(service: string, since: string): Promise<ReleaseRecord[]> {
    return this.releases.listSince(service, since);
  }

  // A service's state, its production deployment lock and queue, and deployment links

  getServiceState(service: string): Promise<ServiceState | undefined> {
    return this.services.get(service);
  }

  /** Records what is live; leaves the lock and its queue (on the same item) as they are. */
  setLive(
    service: string,
    live: Pick<ServiceState, 'liveVersion' | 'liveReleaseId' | 'liveCommit' | 'updatedAt'>,
  ): Promise<void> {
    return this.services.setLive(service, live);
  }

  /** Takes the service's production deployment lock for the waiter, or queues it behind the holder. */
  acquireDeployLock(service: string, waiter: QueuedDeployment): Promise<'acquired' | 'queued'> {
    return this.services.acquireDeployLock(service, waiter);
  }

  /** Takes a release out of the lock's queue (its Deploy task ended while it waited, e.g. a timeout). */
  leaveDeployQueue(service: string, releaseId: string): Promise<boolean> {
    return this.services.leaveDeployQueue(service, releaseId);
  }

  /** Takes the lock only if it is free (no queueing); returns who holds it afterwards. */
  tryDeployLock(service: string, releaseId: string, at: string): Promise<{ holder: string }> {
    return this.services.tryDeployLock(service, releaseId, at);
  }

  /** Releases the lock `releaseId` holds and hands it to the oldest waiter, which it returns. */
  releaseDeployLock(service: string, releaseId: string, at: string): Promise<QueuedDeployment | undefined> {
    return this.services.releaseDeployLock(service, releaseId, at);
  }

  linkDeployment(link: DeploymentLink): Promise<void> {
    return this.services.linkDeployment(link);
  }

  findDeployment(deploymentId: string): Promise<DeploymentLink | undefined> {
    return this.services.findDeployment(deploymentId);
  }

  // Approvals and their audit trail

  putApproval(approval: ApprovalRecord): Promise<void> {
    return this.approvals.put(approval);
  }

  getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    return this.approvals.get(approvalId);
  }

  /** Closes a pending approval exactly once; a second close throws LedgerConflictError. */
  decideApproval(approvalId: string, decision: ApprovalClosing): Promise<ApprovalRecord> {
    return this.approvals.decide(approvalId, decision);
  }

  /** Records one approver's vote, once; a replay throws LedgerConflictError. */
  castVote(approvalId: string, approver: string, vote: ApprovalVote): Promise<ApprovalRecord> {
    return this.approvals.castVote(approvalId, approver, vote);
  }

  /** Marks a vote that lost a race (the request was closed the other way first) as not counted. */
  markVoteNotCounted(approvalId: string, approver: string, reason: string): Promise<void> {
    return this.approvals.markVoteNotCounted(approvalId, approver, reason);
  }

  /** Appends to an approval's audit trail. */
  audit(event: AuditEvent): Promise<void> {
    return this.approvals.audit(event);
  }

  /** An approval's audit trail, oldest first. */
  listAudit(approvalId: string): Promise<AuditEvent[]> {
    return this.approvals.listAudit(approvalId);
  }

  listApprovals(service: string, limit = 50): Promise<ApprovalRecord[]> {
    return this.approvals.list(service, limit);
  }

  // An auto service's mode

  /** The mode a new release of `config`'s service runs in: an `auto` service's earned one, else the catalog's. */
  async releaseModeOf(config: ServiceConfig): Promise<ReleaseMode> {
    return modeForRelease(config, config.mode === 'auto' ? await this.modes.get(config.name) : undefined);
  }

  getServiceMode(service: string): Promise<ServiceMode | undefined> {
    return this.modes.get(service);
  }

  /** Switches an `auto` service's mode and keeps the switch with its evidence, while the mode is still `from`. */
  switchServiceMode(change: ModeSwitch): Promise<void> {
    return this.modes.switch(change);
  }

  /** Every mode switch of `service`, newest first. */
  listModeSwitches(service: string): Promise<ModeSwitch[]> {
    return this.modes.listSwitches(service);
  }
}
