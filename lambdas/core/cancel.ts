/**
 * `sluice cancel`: stops a running release wherever it is, recorded as `cancelled` with who and why.
 *
 *   at the gate         its approval ends as `cancelled` (every link says so) and its paused task fails with
 *                       ReleaseCancelled (SendTaskFailure): Record writes the outcome, as for an expiry;
 *   in the lock's queue it leaves the queue and its paused Deploy task fails the same way; the holder and the
 *                       releases behind it are untouched;
 *   deploying           StopDeployment with rollback: the previous version serves all traffic again, and
 *                       Record writes `cancelled` once the rollback has ended;
 *   anywhere else       StopExecution: the execution ends ABORTED and execution-events records it.
 *
 * The cancellation is written on the release first (once, while it runs), so whichever handler writes the
 * outcome records it as `cancelled` (cancelledOutcome).
 */
import { LedgerConflictError } from '../ledger/errors';
import type { ApprovalRecord, Cancellation, QueuedDeployment, ReleaseRecord } from '../ledger/ledger';
import { endPending } from './approval-decision';
import { ReleaseCancelledError } from './errors';
import type { ReleaseOutcome, ReleaseStatus } from './model';
import type { DeploymentDescription, ExecutionStopper, Ports } from './ports';
import { executionNameOf } from './push-routing';

export class CancelRefusedError extends Error {
  override readonly name = 'CancelRefusedError';
}

export interface CancelRequest {
  readonly releaseId: string;
  readonly reason: string;
  readonly requestedBy: string;
}

export type CancelPorts = Pick<Ports, 'ledger' | 'tasks' | 'deployTarget' | 'clock'> & {
  /** StopExecution of the release state machine. */
  readonly executionStopper: ExecutionStopper;
};

/** Where a running release is, as the ledger and the deploy target tell it. */
export interface CancelFacts {
  readonly record: ReleaseRecord | undefined;
  /** Its approval request, while it is pending. */
  readonly pendingApproval?: ApprovalRecord;
  /** Its place in the production lock's queue, while it waits there. */
  readonly queued?: QueuedDeployment;
  /** Its production deployment, when it started one. */
  readonly deployment?: DeploymentDescription;
}

export type CancelPlan =
  | { readonly action: 'gate'; readonly approval: ApprovalRecord }
  | { readonly action: 'queue'; readonly queued: QueuedDeployment }
  | { readonly action: 'deployment'; readonly deploymentId: string }
  | { readonly action: 'execution' };

/** What `sluice cancel` did. */
export interface CancelStarted {
  readonly releaseId: string;
  readonly service: string;
  readonly action: Cancellation['action'];
  /** The execution of the attempt that was cancelled (executionNameOf). */
  readonly execution: string;
  readonly cancellation: Cancellation;
}

/** What to do with an ended release instead, by how it ended. */
const ENDED_HINT: Readonly<Partial<Record<ReleaseStatus, string>>> = {
  succeeded: '; to take its version out of production, `sluice rollback` the service',
  cancelled: '; `sluice retry` runs it again',
  failed: '; `sluice retry` runs it again if the cause is fixed',
};

/** Decides what cancelling means for the release now; CancelRefusedError when there is nothing to cancel. */
export function planCancel(releaseId: string, facts: CancelFacts): CancelPlan {
  const { record } = facts;
  if (!record)
    throw new CancelRefusedError(`Release ${releaseId} is not in the ledger; \`sluice status\` lists them.`);
  if (record.status !== 'running') {
    const at = record.outcome?.stage ? ` at ${record.outcome.stage}` : '';
    throw new CancelRefusedError(
      `Release ${releaseId} cannot be cancelled: it has already ended ${record.status}${at}. Nothing changed${ENDED_HINT[record.status] ?? ''}.`,
    );
  }
  if (record.cancellation) {
    const { requestedBy, at } = record.cancellation;
    throw new CancelRefusedError(
      `Release ${releaseId} is being cancelled already (by ${requestedBy} at ${at}); \`sluice status\` shows when it has ended.`,
    );
  }
  if (facts.pendingApproval) return { action: 'gate', approval: facts.pendingApproval };
  if (facts.queued) return { action: 'queue', queued: facts.queued };
  const deployment = facts.deployment;
  if (deployment?.status === 'InProgress')
    return { action: 'deployment', deploymentId: deployment.deploymentId };
  if (deployment) {
    throw new CancelRefusedError(
      deployment.status === 'Succeeded'
        ? `Release ${releaseId} cannot be cancelled: its deployment ${deployment.deploymentId} has succeeded and its outcome is being recorded. Nothing changed; to take it out of production, \`sluice rollback\` the service.`
        : `Release ${releaseId} cannot be cancelled: its deployment ${deployment.deploymentId} has ended (${deployment.status}) and its outcome is being recorded. Nothing changed.`,
    );
  }
  return { action: 'execution' };
}

/**
 * The outcome to record for a release that was cancelled while it ran: `cancelled`, with who and why, unless
 * it still ended on its own terms first (it succeeded, or a person rejected it).
 */
export function cancelledOutcome(
  outcome: ReleaseOutcome,
  cancellation: Cancellation | undefined,
): ReleaseOutcome {
  if (!cancellation || outcome.status === 'succeeded' || outcome.status === 'rejected') return outcome;
  const { alarm: _alarm, ...rest } = outcome;
  return {
    ...rest,
    status: 'cancelled',
    reason: `Cancelled by ${cancellation.requestedBy}: ${cancellation.reason}`,
  };
}

/** Reads where the release is: its pending approval, its place in the lock's queue, its deployment. */
async function factsOf(releaseId: string, ports: CancelPorts): Promise<CancelFacts> {
  const record = await ports.ledger.getRelease(releaseId);
  if (record?.status !== 'running') return { record };
  const [approvals, state] = await Promise.all([
    ports.ledger.listApprovals(record.service, 20),
    ports.ledger.getServiceState(record.service),
  ]);
  const pendingApproval = approvals.find((a) => a.releaseId === releaseId && a.status === 'pending');
  const queued = state?.deployQueue?.find((q) => q.releaseId === releaseId);
  const deploymentId = record.deploymentId;
  // 'none': the version was live already, so no deployment ran.
  const deployment =
    deploymentId && deploymentId !== 'none'
      ? await ports.deployTarget.describeDeployment(deploymentId)
      : undefined;
  return {
    record,
    ...(pendingApproval ? { pendingApproval } : {}),
    ...(queued ? { queued } : {}),
    ...(deployment ? { deployment } : {}),
  };
}

/** Fails a paused task; one whose execution has ended already (the token expired) needs nothing more. */
async function failTask(ports: CancelPorts, taskToken: string, cause: string): Promise<void> {
  try {
    await ports.tasks.fail(taskToken, new ReleaseCancelledError(cause).name, cause);
  } catch (error) {
    if ((error as Error).name !== 'TaskTokenExpiredError') throw error;
  }
}

/**
 * Cancels a running release: records who and why on it, then stops it as its state requires (see the module
 * comment). Returns once the stop has been asked for; the outcome `cancelled` follows when the release has
 * ended (at once at the gate, in the queue or for a stopped execution; after the rollback for a deployment).
 */
export async function cancelRelease(request: CancelRequest, ports: CancelPorts): Promise<CancelStarted> {
  const { releaseId } = request;
  if (!request.reason.trim())
    throw new CancelRefusedError('Give a reason: --reason TEXT says why in the audit.');
  if (!request.requestedBy.trim()) throw new CancelRefusedError('Say who cancels it: --as EMAIL.');
  const facts = await factsOf(releaseId, ports);
  const plan = planCancel(releaseId, facts);
  const record = facts.record as ReleaseRecord;
  const cancellation: Cancellation = {
    requestedBy: request.requestedBy,
    reason: request.reason,
    at: ports.clock.now().toISOString(),
    action: plan.action,
  };
  try {
    await ports.ledger.requestCancel(releaseId, cancellation);
  } catch (error) {
    if (!(error instanceof LedgerConflictError)) throw error;
    throw new CancelRefusedError(
      `Release ${releaseId} ended or was cancelled by someone else meanwhile; nothing changed. \`sluice status\` shows it.`,
    );
  }
  const execution = executionNameOf(releaseId, record.attempt);
  const cause = `Cancelled by ${request.requestedBy}: ${request.reason}`;
  const stopExecution = () =>
    ports.executionStopper.stop(execution, new ReleaseCancelledError(cause).name, cause);
  switch (plan.action) {
    case 'gate': {
      const ended = await endPending(
        plan.approval,
        { status: 'cancelled', reason: request.reason, by: request.requestedBy },
        ports,
      );
      // Decided meanwhile: the release moved on, so stop its execution (execution-events cleans up after it).
      if (!ended) await stopExecution();
      break;
    }
    case 'queue':
      if (await ports.ledger.leaveDeployQueue(record.service, releaseId))
        await failTask(ports, plan.queued.taskToken, cause);
      else await stopExecution(); // it took the lock meanwhile
      break;
    case 'deployment':
      await ports.deployTarget.stopDeployment(plan.deploymentId, cause);
      break;
    case 'execution':
      await stopExecution();
      break;
  }
  return { releaseId, service: record.service, action: plan.action, execution, cancellation };
}
