/**
 * Approvals in the ledger: `APPROVAL#<id>` / `APPROVAL`, a request with its votes and decision (listed per
 * service through GSI1: `APPROVALS#<svc>` / `<requestedAt>#<id>`), and its audit trail under the same
 * partition (`AUDIT#<at>#<n>`): request, notifications, views, votes, decision, expiry.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApprovalDecision } from '../core/model';
import type { FreezePeriod, ReleaseWindow } from '../core/release-windows';
import { conditional, itemsUnder, LEDGER_KEYS, type LedgerTableRef, setFields, stripKeys } from './table';

/**
 * `aborted`: the release's execution ended (stopped, timed out, failed, or a local runtime that stopped) before
 * anyone decided; the request takes no more decisions and its `comment` says how the release ended.
 */
export type ApprovalStatus =
  | 'pending'
  | ApprovalDecision
  | 'expired'
  | 'superseded'
  | 'cancelled'
  | 'aborted';

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
  /** The AWS principal (ARN) the CLI's caller proved with STS GetCallerIdentity (`--aws`). */
  readonly principalArn?: string;
  /** Set when the vote lost a race: the request was closed the other way first, so it did not count. */
  readonly notCounted?: string;
}

export type AuditKind =
  | 'requested'
  | 'notified'
  | 'viewed'
  | 'voted'
  | 'decided'
  | 'expired'
  | 'superseded'
  | 'cancelled'
  | 'aborted';

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
  /** The AWS principal (ARN) behind a `--aws` CLI decision. */
  readonly principalArn?: string;
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
  /**
   * Everyone who made the included changes (lowercase): authors' and committers' emails, and the pusher of each
   * push that brought them (a GitHub login, a CodeCommit caller ARN, a local git email). No approver who is one
   * of them may approve.
   */
  readonly changeIdentities?: readonly string[];
  /** Each approver's identities (lowercase, their approver email first), from the catalog at request time. */
  readonly approverIdentities?: Readonly<Record<string, readonly string[]>>;
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

/** How a pending approval closes (Ledger.decideApproval). */
export interface ApprovalClosing {
  status: Exclude<ApprovalStatus, 'pending'>;
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  supersededBy?: string;
  releaseAt?: string;
  holdReason?: string;
}

const approvalKey = (approvalId: string) => ({ PK: `APPROVAL#${approvalId}`, SK: 'APPROVAL' });
/** Orders audit lines written by one process within the same millisecond; the random part keeps keys unique. */
let auditSequence = 0;
const auditKey = (approvalId: string, at: string) => ({
  PK: `APPROVAL#${approvalId}`,
  SK: `AUDIT#${at}#${String(++auditSequence % 1e6).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`,
});

export class ApprovalItems {
  constructor(private readonly table: LedgerTableRef) {}

  async put(approval: ApprovalRecord): Promise<void> {
    await conditional(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
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

  async get(approvalId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: approvalKey(approvalId), ConsistentRead: true }),
    );
    return Item ? stripKeys<ApprovalRecord>(Item) : undefined;
  }

  /**
   * Closes a pending approval exactly once (decided, expired, superseded, cancelled or aborted); a second close throws
   * LedgerConflictError, so only one caller ever resumes the execution.
   */
  async decide(approvalId: string, decision: ApprovalClosing): Promise<ApprovalRecord> {
    const set = setFields({ comment: '', ...decision });
    const { Attributes } = await conditional(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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

  /** Marks a vote that lost a race as not counted (the request had been closed the other way first). */
  async markVoteNotCounted(approvalId: string, approver: string, reason: string): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: approvalKey(approvalId),
        UpdateExpression: 'SET votes.#approver.notCounted = :reason',
        ConditionExpression: 'attribute_exists(votes.#approver)',
        ExpressionAttributeNames: { '#approver': approver },
        ExpressionAttributeValues: { ':reason': reason },
      }),
    );
  }

  /** Appends to an approval's audit trail. */
  async audit(event: AuditEvent): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: { ...auditKey(event.approvalId, event.at), ...event },
      }),
    );
  }

  /** An approval's audit trail, oldest first. */
  async listAudit(approvalId: string): Promise<AuditEvent[]> {
    return itemsUnder<AuditEvent>(this.table, `APPROVAL#${approvalId}`, 'AUDIT#', 'oldest-first');
  }

  async list(service: string, limit = 50): Promise<ApprovalRecord[]> {
    const { Items = [] } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: LEDGER_KEYS.gsi1.indexName,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': `APPROVALS#${service}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<ApprovalRecord>(item));
  }
}
