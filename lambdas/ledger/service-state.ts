/**
 * A service's state in the ledger: `SERVICE#<svc>` / `STATE`, what is live, and its production deployment
 * lock (a conditional write) with the queue of releases waiting for it; and the deployment links
 * (`DEPLOYMENT#<id>` / `DEPLOYMENT`, deployment id -> release) the CodeDeploy event handler follows.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ServiceConfig } from '../core/model';
import { LedgerConflictError } from './errors';
import { isConditionFailure, type LedgerTableRef, setFields, stripKeys } from './table';

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

export interface DeploymentLink {
  readonly deploymentId: string;
  readonly releaseId: string;
  readonly service: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly strategy: string;
  /** ISO 8601: when the deployment was created (a canary's bake starts here). */
  readonly startedAt?: string;
}

const serviceKey = (service: string) => ({ PK: `SERVICE#${service}`, SK: 'STATE' });
const deploymentKey = (deploymentId: string) => ({ PK: `DEPLOYMENT#${deploymentId}`, SK: 'DEPLOYMENT' });

export class ServiceStateItems {
  constructor(private readonly table: LedgerTableRef) {}

  async get(service: string): Promise<ServiceState | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: serviceKey(service), ConsistentRead: true }),
    );
    return Item ? stripKeys<ServiceState>(Item) : undefined;
  }

  /** Records what is live; leaves the lock and its queue (on the same item) as they are. */
  async setLive(
    service: string,
    live: Pick<ServiceState, 'liveVersion' | 'liveReleaseId' | 'liveCommit' | 'updatedAt'>,
  ): Promise<void> {
    const { count: _count, ...set } = setFields({ service, ...live });
    await this.table.client.send(
      new UpdateCommand({ TableName: this.table.tableName, Key: serviceKey(service), ...set }),
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
      const state = await this.get(service);
      if (state?.deployQueue?.some((q) => q.releaseId === waiter.releaseId)) return 'queued';
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
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
    const state = await this.get(service);
    const index = state?.deployQueue?.findIndex((q) => q.releaseId === releaseId) ?? -1;
    if (index < 0) return false;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: serviceKey(service),
          UpdateExpression: 'SET lockHolder = :rid, lockedAt = :at, service = :svc',
          ConditionExpression: 'attribute_not_exists(lockHolder)',
          ExpressionAttributeValues: { ':rid': releaseId, ':at': at, ':svc': service },
        }),
      );
      return { holder: releaseId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { holder: (await this.get(service))?.lockHolder ?? 'unknown' };
    }
  }

  /** The lock write of a release: free, or already held by it (a retry). False when another release holds it. */
  private async takeDeployLock(service: string, releaseId: string, at: string): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
      const state = await this.get(service);
      if (state?.lockHolder !== releaseId) return undefined;
      const next = state.deployQueue?.[0];
      try {
        if (next) {
          await this.table.client.send(
            new UpdateCommand({
              TableName: this.table.tableName,
              Key: serviceKey(service),
              UpdateExpression: 'SET lockHolder = :next, lockedAt = :at REMOVE deployQueue[0]',
              ConditionExpression: 'lockHolder = :rid AND deployQueue[0].releaseId = :next',
              ExpressionAttributeValues: { ':rid': releaseId, ':next': next.releaseId, ':at': at },
            }),
          );
          return next;
        }
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
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

  async linkDeployment(link: DeploymentLink): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: { ...deploymentKey(link.deploymentId), ...link },
      }),
    );
  }

  async findDeployment(deploymentId: string): Promise<DeploymentLink | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: deploymentKey(deploymentId),
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<DeploymentLink>(Item) : undefined;
  }
}
