/**
 * Releases in the ledger: `RELEASE#<id>` / `RELEASE`, a release with its stages and outcome, listed per
 * service through GSI1 (`SERVICE#<svc>` / `RELEASE#<startedAt>#<id>`).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  BuiltDependencies,
  ReleaseInfo,
  ReleaseOutcome,
  ReleaseStatus,
  StageName,
  TestReport,
} from '../core/model';
import type { CanaryBaseline } from '../core/service-alarms';
import { LedgerConflictError, ReleaseNotFoundError } from './errors';
import {
  conditional,
  isConditionFailure,
  LEDGER_KEYS,
  type LedgerTableRef,
  setFields,
  stripKeys,
} from './table';

export type StageStatus = 'succeeded' | 'failed' | 'skipped';

export interface StageRecord {
  readonly status: StageStatus;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly detail?: string;
}

/**
 * What deployment mode would have decided for a delivery release, next to what the person decided.
 *   would_ship:      tests and staging passed and the canary's alarms stayed quiet (or, for a release the
 *                    person rejected, tests and staging passed, so deployment mode would have started a canary);
 *   would_roll_back: the canary's alarms fired during its rollout.
 */
export type ShadowVerdict = 'would_ship' | 'would_roll_back';

/** A delivery release's shadow verdict (lambdas/core/readiness.ts decides it). */
export interface ShadowRecord {
  readonly verdict: ShadowVerdict;
  /** What the person decided. */
  readonly decision: 'approved' | 'rejected';
  /** The person and the machine agree: approved and would ship, or rejected and would roll back. */
  readonly agrees: boolean;
  /** Whether the canary ran (a rejected release never rolls out: its verdict rests on tests and staging). */
  readonly canaryRan: boolean;
  readonly reason: string;
}

/** An earlier attempt of a release, as it ended (the record's own fields are the current attempt's). */
export interface AttemptRecord {
  readonly attempt: number;
  /** ISO 8601: when this attempt's execution started. */
  readonly startedAt: string;
  readonly status: ReleaseStatus;
  readonly stages: Partial<Record<StageName, StageRecord>>;
  readonly outcome?: ReleaseOutcome;
}

/**
 * The artifact a release's Build stored, and what it was built from: a retry of the release promotes it
 * (lambdas/build/build-once.ts) once its bytes hash to `sha256` again.
 */
export interface BuiltArtifact {
  readonly key: string;
  /** Hex sha256 of the zip as Build stored it. */
  readonly sha256: string;
  readonly bytes: number;
  /** The commit it was built from. */
  readonly commit: string;
  /**
   * Hex sha256 of the catalog settings it was built with (the service's entry but for its mode, smoke, function
   * URL, approval, deploy and readiness settings): a retry whose catalog entry changed since builds again.
   */
  readonly settings: string;
  /** The attempt that built it. */
  readonly attempt: number;
  /**
   * Its npm packages as Build recorded them (SBOM, diff against the then-live release, audit), so the approval of a
   * retry that promotes it shows them too. @default - no npm dependencies
   */
  readonly dependencies?: BuiltDependencies;
}

/** The top-level attributes of a release that stages set as they go (Ledger.updateRelease). */
export type ReleaseUpdate = Partial<
  Pick<
    ReleaseRecord,
    | 'version'
    | 'deploymentId'
    | 'deployTaskToken'
    | 'stoppedByAlarm'
    | 'rollback'
    | 'shadow'
    | 'baseline'
    | 'artifact'
    | 'tests'
    | 'metricsCountedAt'
  >
>;

/** Who started the next attempt of a release, and why (`sluice retry`). */
export interface AttemptStart {
  readonly attempt: number;
  /** ISO 8601 */
  readonly startedAt: string;
  readonly requestedBy: string;
  readonly reason: string;
}

export interface ReleaseRecord extends ReleaseInfo {
  readonly status: ReleaseStatus;
  /**
   * The current attempt (its execution is executionNameOf(releaseId, attempt)).
   * @default 1
   */
  readonly attempt?: number;
  /** When the current attempt started: the release's startedAt for attempt 1 (lead time runs from the commit). */
  readonly attemptStartedAt?: string;
  /** Earlier attempts, oldest first. */
  readonly attempts?: readonly AttemptRecord[];
  /** Who started the current attempt and why, when it is a retry. */
  readonly retry?: Pick<AttemptStart, 'requestedBy' | 'reason'>;
  readonly stages: Partial<Record<StageName, StageRecord>>;
  readonly outcome?: ReleaseOutcome;
  /**
   * When Record published the release's `Releases` datapoint (ISO 8601): at the end of the first attempt Record
   * ended. Kept across attempts, so a later attempt publishes its datapoints without it and CloudWatch counts
   * releases, not attempts.
   */
  readonly metricsCountedAt?: string;
  /** The artifact Build stored; kept across attempts, so a retry promotes it instead of building again. */
  readonly artifact?: BuiltArtifact;
  readonly version?: string;
  readonly deploymentId?: string;
  readonly deployTaskToken?: string;
  /** Delivery releases: what deployment mode would have decided (lambdas/core/readiness.ts). */
  readonly shadow?: ShadowRecord;
  /** The alarm whose state change stopped this release's deployment (alarm-events). */
  readonly stoppedByAlarm?: string;
  /** Set on a rollback (`sluice rollback`): who asked for it and why. */
  readonly rollback?: RollbackInfo;
  /** A canary's (promoted or rolled back): both versions' figures over its bake, written by Record. */
  readonly baseline?: CanaryBaseline;
  /** The Test stage's run: the command, pass/fail counts and the failed tests' names, passed or not. */
  readonly tests?: TestReport;
  /** Set by `sluice cancel` while the release runs: the outcome that follows is recorded as `cancelled`. */
  readonly cancellation?: Cancellation;
}

/** Who cancelled a running release, why, and what stopping it took (lambdas/core/cancel.ts). */
export interface Cancellation {
  readonly requestedBy: string;
  readonly reason: string;
  /** ISO 8601 */
  readonly at: string;
  /** gate: its approval ended; queue: it left the lock's queue; deployment: StopDeployment; execution: StopExecution. */
  readonly action: 'gate' | 'queue' | 'deployment' | 'execution';
}

export interface RollbackInfo {
  readonly requestedBy: string;
  readonly reason: string;
  /** The release whose version is redeployed. */
  readonly toReleaseId: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
}

const releaseKey = (releaseId: string) => ({ PK: `RELEASE#${releaseId}`, SK: 'RELEASE' });

export class ReleaseItems {
  constructor(private readonly table: LedgerTableRef) {}

  /** Creates the release record; a retry of the same release (same id) leaves the first record as it is. */
  async start(release: ReleaseInfo): Promise<void> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
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

  /**
   * Ends the current attempt in the record (kept in `attempts`, with its stages and outcome) and opens
   * attempt `next.attempt` as running, with no stages. Only the attempt after the current one, and only once the
   * current one has ended: a concurrent retry loses with LedgerConflictError.
   */
  async startAttempt(releaseId: string, next: AttemptStart): Promise<ReleaseRecord> {
    const current = await this.require(releaseId);
    const attempt = current.attempt ?? 1;
    if (current.status === 'running' || next.attempt !== attempt + 1) {
      throw new LedgerConflictError(
        `Release ${releaseId} is at attempt ${attempt} (${current.status}): attempt ${next.attempt} cannot start`,
      );
    }
    const ended: AttemptRecord = {
      attempt,
      startedAt: current.attemptStartedAt ?? current.startedAt,
      status: current.status,
      stages: current.stages,
      ...(current.outcome ? { outcome: current.outcome } : {}),
    };
    const { Attributes } = await conditional(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: releaseKey(releaseId),
          UpdateExpression:
            'SET attempts = list_append(if_not_exists(attempts, :none), :ended), attempt = :next, ' +
            '#status = :running, stages = :empty, attemptStartedAt = :at, retry = :retry ' +
            'REMOVE outcome, deploymentId, deployTaskToken, stoppedByAlarm, shadow, baseline, cancellation',
          ConditionExpression: '#status = :was AND (attribute_not_exists(attempt) OR attempt = :current)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':none': [],
            ':ended': [ended],
            ':next': next.attempt,
            ':running': 'running',
            ':empty': {},
            ':at': next.startedAt,
            ':retry': { requestedBy: next.requestedBy, reason: next.reason },
            ':was': current.status,
            ':current': attempt,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      `Release ${releaseId} changed while attempt ${next.attempt} was starting`,
    );
    return stripKeys<ReleaseRecord>(Attributes ?? {});
  }

  /**
   * Marks a running release as cancelled by `cancellation`, once: LedgerConflictError when it has ended or a
   * cancellation came first.
   */
  async requestCancel(releaseId: string, cancellation: Cancellation): Promise<ReleaseRecord> {
    const { Attributes } = await conditional(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: releaseKey(releaseId),
          UpdateExpression: 'SET cancellation = :cancellation',
          ConditionExpression: '#status = :running AND attribute_not_exists(cancellation)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancellation': cancellation, ':running': 'running' },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      `Release ${releaseId} ended or was cancelled meanwhile`,
    );
    return stripKeys<ReleaseRecord>(Attributes ?? {});
  }

  async recordStage(releaseId: string, stage: StageName, record: StageRecord): Promise<void> {
    await conditional(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
  async update(releaseId: string, fields: ReleaseUpdate): Promise<void> {
    const { count, ...set } = setFields(fields);
    if (count === 0) return;
    await conditional(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
  async finish(releaseId: string, service: string, outcome: ReleaseOutcome): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
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

  async get(releaseId: string): Promise<ReleaseRecord | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: releaseKey(releaseId), ConsistentRead: true }),
    );
    return Item ? stripKeys<ReleaseRecord>(Item) : undefined;
  }

  async require(releaseId: string): Promise<ReleaseRecord> {
    const release = await this.get(releaseId);
    if (!release) throw new ReleaseNotFoundError(`Release ${releaseId} is not in the ledger`);
    return release;
  }

  /** Newest first. */
  async list(service: string, limit = 50): Promise<ReleaseRecord[]> {
    const { Items = [] } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
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
  async listSince(service: string, since: string): Promise<ReleaseRecord[]> {
    const releases: ReleaseRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.tableName,
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
}
