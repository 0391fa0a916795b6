import type { EventBridgeEvent } from 'aws-lambda';
import { abortPendingApproval } from '../core/approval-decision';
import { cancelledOutcome } from '../core/cancel';
import type { ReleaseOutcome, ReleaseStatus, StageName } from '../core/model';
import { handOverDeployLock, type ProductionDeployPorts } from '../core/production-deploy';
import type { ReleaseRecord } from '../ledger/ledger';

export type ExecutionEventsPorts = ProductionDeployPorts;

/** The execution statuses that end a release without its Record state having run to the end. */
export const ABNORMAL_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** The detail of a "Step Functions Execution Status Change" event (only the fields read here). */
export interface ExecutionStatusDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** The execution name. */
  readonly name: string;
  readonly status: string;
  /** The execution input as JSON text; null when too large to include. */
  readonly input?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
  /** Epoch milliseconds. */
  readonly stopDate?: number | null;
}

export type ExecutionStatusChange = EventBridgeEvent<typeof EXECUTION_STATUS_CHANGE, ExecutionStatusDetail>;

export type ExecutionEventOutcome =
  /** The ledger had no outcome: this handler wrote one and freed what the release held. */
  | 'recorded'
  /** Record had written the outcome; the lock and queue were checked all the same. */
  | 'already-recorded'
  | 'ignored';

const ABNORMAL: ReadonlySet<string> = new Set(ABNORMAL_EXECUTION_STATUSES);

const STATUS_OF: Readonly<Record<string, ReleaseStatus>> = {
  ABORTED: 'aborted',
  TIMED_OUT: 'timed_out',
  FAILED: 'failed',
};

const STAGE_ORDER: readonly StageName[] = ['LoadService', 'Build', 'Test', 'Stage', 'Approval', 'Deploy'];

/**
 * The release an execution ran: the input's releaseId (a retry's execution name is not the release id), else
 * the execution name.
 */
export function releaseIdOf(detail: ExecutionStatusDetail): string {
  try {
    const input = JSON.parse(detail.input ?? '') as { releaseId?: unknown };
    if (typeof input.releaseId === 'string' && input.releaseId) return input.releaseId;
  } catch {
    // no input (too large to include) or not JSON: the name is the release id
  }
  return detail.name;
}

/**
 * The stage a release was in when its execution ended: Deploy once it started a deployment, else the first
 * stage with no record yet. Approval and Deploy are recorded by Record, and a release in deployment mode
 * passes no gate: neither is ever recorded while it runs.
 */
export function stageInFlight(record: Pick<ReleaseRecord, 'stages' | 'mode' | 'deploymentId'>): StageName {
  if (record.deploymentId) return 'Deploy';
  const gated = record.mode !== 'deployment';
  return STAGE_ORDER.find((stage) => !record.stages[stage] && (gated || stage !== 'Approval')) ?? 'Record';
}

/** The outcome of an execution that ended with no outcome in the ledger. */
export function abnormalOutcome(
  record: Pick<ReleaseRecord, 'stages' | 'mode' | 'deploymentId'>,
  detail: ExecutionStatusDetail,
  endedAt: Date,
): ReleaseOutcome {
  const what =
    detail.status === 'ABORTED'
      ? 'The execution was stopped'
      : detail.status === 'TIMED_OUT'
        ? 'The execution timed out'
        : 'The execution failed';
  const cause = [detail.error, detail.cause].filter(Boolean).join(': ');
  return {
    status: STATUS_OF[detail.status] ?? 'failed',
    stage: stageInFlight(record),
    reason: `${what} before its outcome was recorded${cause ? ` (${cause})` : ''}`,
    endedAt: endedAt.toISOString(),
  };
}

/**
 * An execution of the release state machine ended FAILED, TIMED_OUT or ABORTED. When Record did not write an
 * outcome (stopped by hand, Record failed for good, the execution timed out), writes one, ends a pending approval
 * of the release as `aborted`, stops the release's deployment if it still runs, and frees the production lock for
 * the next queued release. Events arrive at
 * least once and also for releases Record ended normally: both cases change nothing more.
 */
export async function onExecutionStatusChange(
  event: ExecutionStatusChange,
  ports: ExecutionEventsPorts,
): Promise<ExecutionEventOutcome> {
  const detail = event.detail;
  if (!detail?.name || !ABNORMAL.has(detail.status)) return 'ignored';
  const releaseId = releaseIdOf(detail);
  const record = await ports.ledger.getRelease(releaseId);
  if (!record) return 'ignored';
  const ended = record.status !== 'running';
  // Stopped by `sluice cancel`: recorded as cancelled, with who and why.
  const outcome = ended
    ? record.outcome
    : cancelledOutcome(abnormalOutcome(record, detail, ports.clock.now()), record.cancellation);
  // The outcome first: it removes the Deploy task token, so the stopped deployment's own event resumes nothing.
  if (!ended && outcome) await ports.ledger.finishRelease(releaseId, record.service, outcome);
  // Ended at the gate: its request closes as aborted, so its links say the release ended (also on a redelivery).
  if (record.mode === 'delivery') {
    await abortPendingApproval(record, outcome?.reason ?? `The execution ended ${detail.status}`, ports);
  }
  // On a redelivery too, in case the stop failed the first time; a deployment that ended is left alone.
  const stopping = record.deploymentId ? await stopIfRunning(record.deploymentId, detail, ports) : false;
  // Both no-ops unless this release still holds the lock or waits in the queue (Record never got that far). A
  // deployment still rolling back keeps the lock: one deployment per service at a time, so the next one could
  // not start yet. Its end event hands the lock over instead (deployment-events).
  if (!stopping) await handOverDeployLock(record.service, releaseId, ports);
  await ports.ledger.leaveDeployQueue(record.service, releaseId);
  return ended ? 'already-recorded' : 'recorded';
}

/**
 * The execution is gone, so nothing will judge its deployment: stop it with rollback to the previous version.
 * True when it was still running (its end is still to come).
 */
async function stopIfRunning(
  deploymentId: string,
  detail: ExecutionStatusDetail,
  ports: ExecutionEventsPorts,
): Promise<boolean> {
  const description = await ports.deployTarget.describeDeployment(deploymentId);
  if (description.status !== 'InProgress') return false;
  await ports.deployTarget.stopDeployment(
    deploymentId,
    `the release's execution ended ${detail.status} while the deployment ran`,
  );
  return true;
}
