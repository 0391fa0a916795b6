/**
 * The release ledger: one DynamoDB table (single-table design), the same code in Lambda and locally
 * (against DynamoDB Local). Conditional writes make every transition safe to retry.
 *
 * Items:
 *   RELEASE#<id>     / RELEASE      a release, its stages and outcome   (GSI1: SERVICE#<svc> / RELEASE#<startedAt>)
 *   SERVICE#<svc>    / STATE        what is live for a service; its production deployment lock and queue
 *   SERVICE#<svc>    / MODE         an auto service's mode (and MODESWITCH#<at>#<release>: each switch, with evidence)
 *   APPROVAL#<id>    / APPROVAL     an approval request, its votes and decision (GSI1: APPROVALS#<svc> / <requestedAt>)
 *   APPROVAL#<id>    / AUDIT#<at>#n  its audit trail: request, notifications, views, votes, decision, expiry
 *   DEPLOYMENT#<id>  / DEPLOYMENT   deployment id -> release, for the CodeDeploy event handler
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ReleaseMode } from '../core/catalog/types';
import type {
  ApprovalDecision,
  ReleaseInfo,
  ReleaseOutcome,
  ReleaseStatus,
  ServiceConfig,
  StageName,
} from '../core/model';
import type { ShadowRecord } from '../core/readiness';
import type { FreezePeriod, ReleaseWindow } from '../core/release-windows';

/** The table's key schema; lib/ledger-table.ts renders the same names in CloudFormation. */
export const LEDGER_KEYS = {
  partitionKey: 'PK',
  sortKey: 'SK',
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  ttlAttribute: 'ttl',
} as const;

export type StageStatus = 'succeeded' | 'failed' | 'skipped';

export interface StageRecord {
  readonly status: StageStatus;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly detail?: string;
}

export interface ReleaseRecord extends ReleaseInfo {
  readonly status: ReleaseStatus;
  readonly stages: Partial<Record<StageName, StageRecord>>;
  readonly outcome?: ReleaseOutcome;
  readonly version?: string;
  readonly deploymentId?: string;
  readonly deployTaskToken?: string;
  /** Delivery releases: what deployment mode would have decided (lambdas/shared/readiness.ts). */
  readonly shadow?: ShadowRecord;
  /** The alarm whose state change stopped this release's deployment (alarm-events). */
  readonly stoppedByAlarm?: string;
  /** Set on a rollback (`sluice rollback`): who asked for it and why. */
  readonly rollback?: RollbackInfo;
}

export interface RollbackInfo {
  readonly requestedBy: string;
  readonly reason: string;
  /** The release whose version is redeployed. */
  readonly toReleaseId: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
}

/** A release waiting for the service's production deployment lock, with what it needs to start its deployment. */
export interface QueuedDeployment {
  readonly releaseId: string;
  readonly taskToken: string;
  readonly config: ServiceConfig;
  readonly version: string;
  /** ISO 8601 */
  readonly queuedAt: string;
}

export interface ServiceState {
  readonly service: string;
  readonly liveVersion?: string;
  readonly liveReleaseId?: string;
  readonly liveCommit?: string;
  readonly updatedAt: string;
  /** The release that holds the production deployment lock (one deployment per service at a time). */
  readonly lockHolder?: string;
  readonly lockedAt?: string;
  /** Releases waiting for the lock, oldest first. */
  readonly deployQueue?: readonly QueuedDeployment[];
}

/** The mode an `auto` service runs in now, and why: kept apart from ServiceState, which Record rewrites. */
export interface ServiceMode {
  readonly service: string;
  readonly mode: ReleaseMode;
  /** ISO 8601: when it switched to this mode. */
  readonly since: string;
  readonly reason: string;
  /** The release whose end triggered the switch. */
  readonly releaseId: string;
}

/** The mode a new release runs in, given what the ledger holds for an `auto` service (which starts in delivery). */
export function modeForRelease(
  config: Pick<ServiceConfig, 'mode'>,
  stored: ServiceMode | undefined,
): ReleaseMode {
  return config.mode === 'auto' ? (stored?.mode ?? 'delivery') : config.mode;
}

/** One switch of an `auto` service's mode, with the evidence it rested on. */
export interface ModeSwitch extends ServiceMode {
  readonly from: ReleaseMode;
  /** The readiness assessment (JSON) the switch rested on. */
  readonly evidence: unknown;
}

export type ApprovalStatus = 'pending' | ApprovalDecision | 'expired' | 'superseded';

/** Where a decision or a view came from: the emailed link's page, a Slack button, the CLI. */
export type ApprovalChannelUsed = 'email' | 'slack' | 'cli';

/** One approver's vote, stored on the approval item under `votes.<approver>` (written once, conditionally). */
export interface ApprovalVote {
  readonly decision: ApprovalDecision;
  /** ISO 8601 */
  readonly at: string;
  readonly channel: ApprovalChannelUsed;
  readonly comment?: string;
  /** The release time the approver asked for (ISO 8601), if any. */
  readonly releaseAt?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/** A release window: deploys happen only on these days between `start` and `end` in `timeZone`. */
export type AuditKind = 'requested' | 'notified' | 'viewed' | 'voted' | 'decided' | 'expired' | 'superseded';

/** One line of an approval's audit trail (item `APPROVAL#<id>` / `AUDIT#<at>#<n>`). */
export interface AuditEvent {
  readonly approvalId: string;
  readonly kind: AuditKind;
  /** ISO 8601 */
  readonly at: string;
  /** Who: an approver's email, `sluice` for the system. */
  readonly actor: string;
  readonly channel?: ApprovalChannelUsed | 'system';
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly detail?: string;
}

export interface ApprovalRecord {
  readonly approvalId: string;
  readonly releaseId: string;
  readonly service: string;
  readonly approvers: readonly string[];
  readonly required: number;
  readonly status: ApprovalStatus;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly taskToken: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly comment?: string;
  /** Lines shown on the approval page: tests, smoke result, commit. */
  readonly details: readonly string[];
  /** Votes so far, by approver. */
  readonly votes?: Readonly<Record<string, ApprovalVote>>;
  /** Emails of the authors of the included commits (lowercase): they may not approve. */
  readonly authors?: readonly string[];
  /** The newer release that replaced this one at the gate. */
  readonly supersededBy?: string;
  /** When approved: when the deploy may start (ISO 8601), and why it waits, if it does. */
  readonly releaseAt?: string;
  readonly holdReason?: string;
  /** Slack user id → approver, from the catalog. */
  readonly slackUsers?: Readonly<Record<string, string>>;
  readonly windows?: readonly ReleaseWindow[];
  readonly freezes?: readonly FreezePeriod[];
}

export interface DeploymentLink {
  readonly deploymentId: string;
  readonly releaseId: string;
  readonly service: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly strategy: string;
}

export class ReleaseNotFoundError extends Error {
  override readonly name = 'ReleaseNotFoundError';
}

/** A conditional write lost: the item is not in the state the caller expected (e.g. an approval already decided). */
export class LedgerConflictError extends Error {
  override readonly name = 'LedgerConflictError';
}

const releaseKey = (releaseId: string) => ({ PK: `RELEASE#${releaseId}`, SK: 'RELEASE' });
const serviceKey = (service: string) => ({ PK: `SERVICE#${service}`, SK: 'STATE' });
const approvalKey = (approvalId: string) => ({ PK: `APPROVAL#${approvalId}`, SK: 'APPROVAL' });
const modeKey = (service: string) => ({ PK: `SERVICE#${service}`, SK: 'MODE' });
/** Orders audit lines written by one process within the same millisecond; the random part keeps keys unique. */
let auditSequence = 0;
const auditKey = (approvalId: string, at: string) => ({
  PK: `APPROVAL#${approvalId}`,
  SK: `AUDIT#${at}#${String(++auditSequence % 1e6).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`,
});
const deploymentKey = (deploymentId: string) => ({ PK: `DEPLOYMENT#${deploymentId}`, SK: 'DEPLOYMENT' });

function stripKeys<T>(item: Record<string, unknown>): T {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ttl: _ttl, ...rest } = item;
  return rest as T;
}

/** `SET #f0 = :v0, …` for the defined fields of `fields`, with its attribute names and values. */
function setFields(fields: Record<string, unknown>) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    count: entries.length,
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** A conditional write whose condition did not hold (the item is not in the state the write expected). */
function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error).name === 'ConditionalCheckFailedException'
  );
}

async function conditional<T>(write: Promise<T>, conflict: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new LedgerConflictError(conflict);
    }
    throw error;
  }
}

export class Ledger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The ledger on `tableName` through `dynamo`, marshalled as every ledger write needs (optional fields left
   * undefined are dropped, e.g. in a queued deployment's service config).
   */
  static forTable(dynamo: DynamoDBClient, tableName: string): Ledger {
    return new Ledger(
      DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      tableName,
    );
  }

  /** Creates the release record; a retry of the same release (same id) leaves the first record as it is. */
  async startRelease(release: ReleaseInfo): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...releaseKey(release.releaseId),
            GSI1PK: `SERVICE#${release.service}`,
            GSI1SK: `RELEASE#${release.startedAt}#${release.releaseId}`,
            ...release,
            status: 'running',
            stages: {},
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordStage(releaseId: string, stage: StageName, record: StageRecord): Promise<void> {
    await conditional(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: releaseKey(releaseId),
          UpdateExpression: 'SET stages.#stage = :record',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#stage': stage },
          ExpressionAttributeValues: { ':record': record },
        }),
      ),
      `Release ${releaseId} is not in the ledger`,
    );
  }

  /** Sets top-level attributes of a release (version, deploymentId, deployTaskToken). */
  async updateRelease(
    releaseId: string,
    fields: Partial<
      Pick<
        ReleaseRecord,
        'version' | 'deploymentId' | 'deployTaskToken' | 'stoppedByAlarm' | 'rollback' | 'shadow'
      >
    >,
  ): Promise<void> {
    const { count, ...set } = setFields(fields);
    if (count === 0) return;
    await conditional(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: releaseKey(releaseId),
          ...set,
          ConditionExpression: 'attribute_exists(PK)',
        }),
      ),
      `Release ${releaseId} is not in the ledger`,
    );
  }

  /**
   * Writes the outcome once. Creates a minimal record when the release failed before LoadService could
   * create one (e.g. an unknown service), so that no outcome is ever lost.
   */
  async finishRelease(releaseId: string, service: string, outcome: ReleaseOutcome): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: releaseKey(releaseId),
        UpdateExpression:
          'SET #status = :status, outcome = :outcome, releaseId = :rid, service = if_not_exists(service, :svc), ' +
          'stages = if_not_exists(stages, :empty), startedAt = if_not_exists(startedAt, :ended), ' +
          'GSI1PK = if_not_exists(GSI1PK, :gpk), GSI1SK = if_not_exists(GSI1SK, :gsk) REMOVE deployTaskToken',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':outcome': outcome,
          ':rid': releaseId,
          ':svc': service,
          ':empty': {},
          ':ended': outcome.endedAt,
          ':gpk': `SERVICE#${service}`,
          ':gsk': `RELEASE#${outcome.endedAt}#${releaseId}`,
        },
      }),
    );
  }

  async getRelease(releaseId: string): Promise<ReleaseRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: releaseKey(releaseId), ConsistentRead: true }),
    );
    return Item ? stripKeys<ReleaseRecord>(Item) : undefined;
  }

  async requireRelease(releaseId: string): Promise<ReleaseRecord> {
    const release = await this.getRelease(releaseId);
    if (!release) throw new ReleaseNotFoundError(`Release ${releaseId} is not in the ledger`);
    return release;
  }

  /** Newest first. */
  async listReleases(service: string, limit = 50): Promise<ReleaseRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LEDGER_KEYS.gsi1.indexName,
        KeyConditionExpression: 'GSI1PK = :pk AND begins_with(GSI1SK, :prefix)',
        ExpressionAttributeValues: { ':pk': `SERVICE#${service}`, ':prefix': 'RELEASE#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<ReleaseRecord>(item));
  }

  /** Every release of `service` started at or after `since` (ISO 8601), newest first, across pages. */
  async listReleasesSince(service: string, since: string): Promise<ReleaseRecord[]> {
    const releases: ReleaseRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LEDGER_KEYS.gsi1.indexName,
          KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': `SERVICE#${service}`,
            ':from': `RELEASE#${since}`,
            ':to': 'RELEASE#~',
          },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      releases.push(...(page.Items ?? []).map((item) => stripKeys<ReleaseRecord>(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return releases;
  }

  async getServiceState(service: string): Promise<ServiceState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: serviceKey(service), ConsistentRead: true }),
    );
    return Item ? stripKeys<ServiceState>(Item) : undefined;
  }

  /** Records what is live; leaves the lock and its queue (on the same item) as they are. */
  async setLive(
    service: string,
    live: Pick<ServiceState, 'liveVersion' | 'liveReleaseId' | 'liveCommit' | 'updatedAt'>,
  ): Promise<void> {
    const { count: _count, ...set } = setFields({ service, ...live });
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: serviceKey(service), ...set }),
    );
  }

  /**
   * Takes the service's production deployment lock for `waiter.releaseId` (a conditional write on the
   * SERVICE#<svc> item), or queues the waiter behind the holder. Safe to retry: the holder taking it again,
   * or a waiter already queued, changes nothing.
   */
  async acquireDeployLock(service: string, waiter: QueuedDeployment): Promise<'acquired' | 'queued'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.takeDeployLock(service, waiter.releaseId, waiter.queuedAt)) return 'acquired';
      const state = await this.getServiceState(service);
      if (state?.deployQueue?.some((q) => q.releaseId === waiter.releaseId)) return 'queued';
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: serviceKey(service),
            UpdateExpression: 'SET deployQueue = list_append(if_not_exists(deployQueue, :empty), :entry)',
            ConditionExpression: 'attribute_exists(lockHolder) AND lockHolder <> :rid',
            ExpressionAttributeValues: { ':empty': [], ':entry': [waiter], ':rid': waiter.releaseId },
          }),
        );
        return 'queued';
      } catch (error) {
        // The lock was released between our two writes: try to take it again.
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new LedgerConflictError(`Could not take or queue for the deployment lock of ${service}`);
  }

  /** Takes a release out of the lock's queue (its Deploy task ended while it waited, e.g. a timeout). */
  async leaveDeployQueue(service: string, releaseId: string): Promise<boolean> {
    const state = await this.getServiceState(service);
    const index = state?.deployQueue?.findIndex((q) => q.releaseId === releaseId) ?? -1;
    if (index < 0) return false;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: serviceKey(service),
          UpdateExpression: `REMOVE deployQueue[${index}]`,
          ConditionExpression: `deployQueue[${index}].releaseId = :rid`,
          ExpressionAttributeValues: { ':rid': releaseId },
        }),
      );
      return true;
    } catch (error) {
      // The queue moved meanwhile: look again.
      if (!isConditionFailure(error)) throw error;
      return this.leaveDeployQueue(service, releaseId);
    }
  }

  /** Takes the lock only if it is free (no queueing); returns who holds it afterwards. */
  async tryDeployLock(service: string, releaseId: string, at: string): Promise<{ holder: string }> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: serviceKey(service),
          UpdateExpression: 'SET lockHolder = :rid, lockedAt = :at, service = :svc',
          ConditionExpression: 'attribute_not_exists(lockHolder)',
          ExpressionAttributeValues: { ':rid': releaseId, ':at': at, ':svc': service },
        }),
      );
      return { holder: releaseId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { holder: (await this.getServiceState(service))?.lockHolder ?? 'unknown' };
    }
  }

  /** The lock write of a release: free, or already held by it (a retry). False when another release holds it. */
  private async takeDeployLock(service: string, releaseId: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: serviceKey(service),
          UpdateExpression: 'SET lockHolder = :rid, lockedAt = :at, service = :svc',
          ConditionExpression: 'attribute_not_exists(lockHolder) OR lockHolder = :rid',
          ExpressionAttributeValues: { ':rid': releaseId, ':at': at, ':svc': service },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /**
   * Releases the lock `releaseId` holds and hands it to the oldest waiter, which it returns (the caller starts
   * that waiter's deployment). Returns undefined when `releaseId` does not hold the lock or nobody waits.
   */
  async releaseDeployLock(
    service: string,
    releaseId: string,
    at: string,
  ): Promise<QueuedDeployment | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.getServiceState(service);
      if (state?.lockHolder !== releaseId) return undefined;
      const next = state.deployQueue?.[0];
      try {
        if (next) {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: serviceKey(service),
              UpdateExpression: 'SET lockHolder = :next, lockedAt = :at REMOVE deployQueue[0]',
              ConditionExpression: 'lockHolder = :rid AND deployQueue[0].releaseId = :next',
              ExpressionAttributeValues: { ':rid': releaseId, ':next': next.releaseId, ':at': at },
            }),
          );
          return next;
        }
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: serviceKey(service),
            UpdateExpression: 'REMOVE lockHolder, lockedAt',
            ConditionExpression:
              'lockHolder = :rid AND (attribute_not_exists(deployQueue) OR size(deployQueue) = :zero)',
            ExpressionAttributeValues: { ':rid': releaseId, ':zero': 0 },
          }),
        );
        return undefined;
      } catch (error) {
        // A waiter queued meanwhile: read again and hand it over.
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new LedgerConflictError(`Could not release the deployment lock of ${service} held by ${releaseId}`);
  }

  async putApproval(approval: ApprovalRecord): Promise<void> {
    await conditional(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...approvalKey(approval.approvalId),
            GSI1PK: `APPROVALS#${approval.service}`,
            GSI1SK: `${approval.requestedAt}#${approval.approvalId}`,
            votes: {},
            ...approval,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
      `Approval ${approval.approvalId} exists already`,
    );
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: approvalKey(approvalId), ConsistentRead: true }),
    );
    return Item ? stripKeys<ApprovalRecord>(Item) : undefined;
  }

  /**
   * Closes a pending approval exactly once (decided, expired or superseded); a second close throws
   * LedgerConflictError, so only one caller ever resumes the execution.
   */
  async decideApproval(
    approvalId: string,
    decision: {
      status: Exclude<ApprovalStatus, 'pending'>;
      decidedBy: string;
      decidedAt: string;
      comment?: string;
      supersededBy?: string;
      releaseAt?: string;
      holdReason?: string;
    },
  ): Promise<ApprovalRecord> {
    const set = setFields({ comment: '', ...decision });
    const { Attributes } = await conditional(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(approvalId),
          UpdateExpression: set.UpdateExpression,
          ConditionExpression: 'attribute_exists(PK) AND #s = :pending',
          ExpressionAttributeNames: { '#s': 'status', ...set.ExpressionAttributeNames },
          ExpressionAttributeValues: { ':pending': 'pending', ...set.ExpressionAttributeValues },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      `Approval ${approvalId} is no longer pending`,
    );
    return stripKeys<ApprovalRecord>(Attributes ?? {});
  }

  /**
   * Records one approver's vote, once: the write is conditional on the approval being pending and the
   * approver not having voted, so a replayed request changes nothing (LedgerConflictError).
   */
  async castVote(approvalId: string, approver: string, vote: ApprovalVote): Promise<ApprovalRecord> {
    const { Attributes } = await conditional(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(approvalId),
          UpdateExpression: 'SET votes.#approver = :vote',
          ConditionExpression:
            'attribute_exists(PK) AND #status = :pending AND attribute_not_exists(votes.#approver)',
          ExpressionAttributeNames: { '#status': 'status', '#approver': approver },
          ExpressionAttributeValues: { ':vote': vote, ':pending': 'pending' },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      `Approval ${approvalId} is no longer pending, or ${approver} has voted already`,
    );
    return stripKeys<ApprovalRecord>(Attributes ?? {});
  }

  /** Appends to an approval's audit trail. */
  async audit(event: AuditEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...auditKey(event.approvalId, event.at), ...event },
      }),
    );
  }

  /** An approval's audit trail, oldest first. */
  async listAudit(approvalId: string): Promise<AuditEvent[]> {
    return this.itemsUnder<AuditEvent>(`APPROVAL#${approvalId}`, 'AUDIT#', 'oldest-first');
  }

  async listApprovals(service: string, limit = 50): Promise<ApprovalRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LEDGER_KEYS.gsi1.indexName,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': `APPROVALS#${service}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<ApprovalRecord>(item));
  }

  async linkDeployment(link: DeploymentLink): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...deploymentKey(link.deploymentId), ...link } }),
    );
  }

  async findDeployment(deploymentId: string): Promise<DeploymentLink | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: deploymentKey(deploymentId), ConsistentRead: true }),
    );
    return Item ? stripKeys<DeploymentLink>(Item) : undefined;
  }

  /** The mode a new release of `config`'s service runs in: an `auto` service's earned one, else the catalog's. */
  async releaseModeOf(config: ServiceConfig): Promise<ReleaseMode> {
    return modeForRelease(
      config,
      config.mode === 'auto' ? await this.getServiceMode(config.name) : undefined,
    );
  }

  async getServiceMode(service: string): Promise<ServiceMode | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: modeKey(service), ConsistentRead: true }),
    );
    return Item ? stripKeys<ServiceMode>(Item) : undefined;
  }

  /**
   * Switches an `auto` service's mode and keeps the switch with its evidence, in one transaction that
   * holds only while the mode is still `from` (a retried Record cannot switch twice).
   */
  async switchServiceMode(change: ModeSwitch): Promise<void> {
    const current: ServiceMode = {
      service: change.service,
      mode: change.mode,
      since: change.since,
      reason: change.reason,
      releaseId: change.releaseId,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...modeKey(change.service), ...current },
                ConditionExpression: 'attribute_not_exists(PK) OR #mode = :from',
                ExpressionAttributeNames: { '#mode': 'mode' },
                ExpressionAttributeValues: { ':from': change.from },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  PK: `SERVICE#${change.service}`,
                  SK: `MODESWITCH#${change.since}#${change.releaseId}`,
                  ...change,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') {
        throw new LedgerConflictError(`The mode of ${change.service} is no longer ${change.from}`);
      }
      throw error;
    }
  }

  /** Every mode switch of `service`, newest first. */
  async listModeSwitches(service: string): Promise<ModeSwitch[]> {
    return this.itemsUnder<ModeSwitch>(`SERVICE#${service}`, 'MODESWITCH#', 'newest-first');
  }

  /** The items of partition `pk` whose sort key starts with `prefix` (one page: these lists stay small). */
  private async itemsUnder<T>(
    pk: string,
    prefix: string,
    order: 'oldest-first' | 'newest-first',
  ): Promise<T[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ScanIndexForward: order === 'oldest-first',
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => stripKeys<T>(item));
  }
}
