import { cancelledOutcome } from '../core/cancel';
import { SERVICE_ALARMS } from '../core/catalog/types';
import type {
  CaughtError,
  DeployResult,
  ReleaseDocument,
  ReleaseOutcome,
  ReleaseStatus,
  StageName,
} from '../core/model';
import type { Ports } from '../core/ports';
import {
  deploymentFailure,
  deployResultOf,
  handOverDeployLock,
  type ProductionDeployPorts,
} from '../core/production-deploy';
import { type ModeDecision, shadowVerdictOf } from '../core/readiness';
import type { CanaryBaseline } from '../core/service-alarms';
import { stageRecord } from '../core/stage-record';
import { evolveAutoMode } from './auto-mode';

export type RecordPorts = ProductionDeployPorts & Pick<Ports, 'releaseMetrics' | 'baselines'>;

/** What Record returns: the outcome, and for an `auto` service the mode decision it took. */
export interface RecordResult extends ReleaseOutcome {
  readonly modeDecision?: ModeDecision;
}

/** The Record state's input: a whole release document, or what is left of it after an early failure. */
export type RecordInput = Partial<ReleaseDocument> & Pick<ReleaseDocument, 'releaseId' | 'service'>;

/**
 * Step Functions puts a Lambda error's JSON (`{"errorType","errorMessage"}`) in Cause, and a
 * SendTaskFailure cause as it was sent: return the human message either way.
 */
export function failureReason(failure: CaughtError): string {
  const cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: a plain cause
  }
  return cause || failure.Error;
}

/** Named task failures that are outcomes of their own (the rest are `failed`). */
const FAILURE_STATUS: Readonly<Record<string, ReleaseStatus>> = {
  DeploymentRolledBack: 'rolled_back',
  ApprovalExpired: 'expired',
  ApprovalSuperseded: 'superseded',
  PreflightBlocked: 'blocked',
  ReleaseCancelled: 'cancelled',
};

const ALARM_IN_TEXT = new RegExp(`\\b(sluice-[a-z0-9-]+-(?:${SERVICE_ALARMS.join('|')}))\\b`);

/** The alarm a failure names: sent by deployment-events as `{"alarm": ...}` in the cause, or in its text. */
export function failureAlarm(failure: CaughtError): string | undefined {
  try {
    const parsed = JSON.parse(failure.Cause ?? '') as { alarm?: unknown; errorMessage?: unknown };
    if (typeof parsed.alarm === 'string') return parsed.alarm;
  } catch {
    // not JSON
  }
  return ALARM_IN_TEXT.exec(failure.Cause ?? '')?.[1];
}

export function decideOutcome(input: RecordInput, endedAt: Date): ReleaseOutcome {
  const at = endedAt.toISOString();
  if (input.failure) {
    const stage: StageName = input.failedStage?.stage ?? 'Record';
    const reason = `${input.failure.Error}: ${failureReason(input.failure)}`;
    const status = FAILURE_STATUS[input.failure.Error] ?? 'failed';
    // Expiry, supersede and cancel are outcomes, not errors: their cause says it in words.
    const gate = status === 'expired' || status === 'superseded' || status === 'cancelled';
    const alarm = status === 'rolled_back' || status === 'blocked' ? failureAlarm(input.failure) : undefined;
    return {
      status,
      stage,
      reason: gate ? failureReason(input.failure) : reason,
      ...(alarm ? { alarm } : {}),
      endedAt: at,
    };
  }
  if (input.approval?.decision === 'rejected') {
    const comment = input.approval.comment ? `: ${input.approval.comment}` : '';
    return {
      status: 'rejected',
      stage: 'Approval',
      reason: `Rejected by ${input.approval.decidedBy}${comment}`,
      endedAt: at,
    };
  }
  return { status: 'succeeded', stage: 'Deploy', endedAt: at };
}

/** Last stage: writes the outcome (every path ends here) and, on success, what is now live. */
export async function recordRelease(given: RecordInput, ports: RecordPorts): Promise<RecordResult> {
  const now = ports.clock.now();
  const releaseId = given.releaseId;
  // A refused replay shares its release id with the earlier release: that record stays as it is.
  if (given.failure?.Error === 'StalePushError') return decideOutcome(given, now);
  const existing = await ports.ledger.getRelease(releaseId);
  const input = await settleTimedOutDeploy(given, existing?.deploymentId, ports);
  // A release cancelled while it ran (`sluice cancel`) ended by that, whichever way its stop reached here.
  const outcome = cancelledOutcome(decideOutcome(input, now), existing?.cancellation);
  if (existing) {
    if (input.approval) {
      const requested = input.approval.decidedAt;
      await ports.ledger.recordStage(releaseId, 'Approval', {
        status: input.approval.decision === 'approved' ? 'succeeded' : 'failed',
        startedAt: existing.stages.Stage?.endedAt ?? requested,
        endedAt: requested,
        durationMs: Math.max(
          0,
          new Date(requested).getTime() - new Date(existing.stages.Stage?.endedAt ?? requested).getTime(),
        ),
        detail: `${input.approval.decision} by ${input.approval.decidedBy}${
          input.approval.holdReason
            ? `; deploy held until ${input.approval.releaseAt}: ${input.approval.holdReason}`
            : ''
        }`,
      });
    }
    if (
      outcome.status !== 'succeeded' &&
      !(outcome.stage === 'Approval' && input.approval) &&
      outcome.stage !== 'Record'
    ) {
      const started = previousStageEnd(existing.stages, outcome.stage) ?? existing.startedAt;
      await ports.ledger.recordStage(releaseId, outcome.stage, {
        ...stageRecord(ports.clock, new Date(started), 'failed', outcome.reason),
      });
    }
    if (outcome.status === 'succeeded' && input.deploy) {
      const previous = previousStageEnd(existing.stages, 'Deploy') ?? existing.startedAt;
      // A scheduled release waited in ScheduledRelease: Deploy started at its release time, not at the decision.
      const held = input.approval?.releaseAt;
      const started = held && held > previous ? held : previous;
      await ports.ledger.recordStage(
        releaseId,
        'Deploy',
        stageRecord(
          ports.clock,
          new Date(started),
          'succeeded',
          `${input.deploy.deploymentId}: ${input.deploy.fromVersion ?? '-'} → ${input.deploy.toVersion} (${input.deploy.strategy})`,
        ),
      );
    }
  }
  await ports.ledger.finishRelease(releaseId, input.service, outcome);
  if (outcome.status === 'succeeded' && input.stage) {
    await ports.ledger.setLive(input.service, {
      liveVersion: input.stage.version,
      liveReleaseId: releaseId,
      ...(input.release ? { liveCommit: input.release.commit.sha } : {}),
      updatedAt: outcome.endedAt,
    });
  }
  // The production lock goes to the oldest waiting release of the service, whose deployment starts now. A
  // release whose Deploy ended while it still waited in the queue (a timeout) leaves the queue instead.
  await handOverDeployLock(input.service, releaseId, ports);
  if (input.failedStage?.stage === 'Deploy') await ports.ledger.leaveDeployQueue(input.service, releaseId);
  const baseline = await canaryBaseline(existing?.deploymentId, ports);
  if (baseline) await ports.ledger.updateRelease(releaseId, { baseline });
  const finished = await ports.ledger.getRelease(releaseId);
  // A release that failed before LoadService opened it (e.g. an unknown service) has no commit to measure.
  if (!finished?.commit) return outcome;
  const shadow = shadowVerdictOf(finished);
  if (shadow) await ports.ledger.updateRelease(releaseId, { shadow });
  await ports.releaseMetrics.publish(shadow ? { ...finished, shadow } : finished);
  // Counted once: a retry's attempt publishes without `Releases` (releaseDatapoints).
  if (!finished.metricsCountedAt)
    await ports.ledger.updateRelease(releaseId, { metricsCountedAt: outcome.endedAt });
  if (input.config?.mode === 'auto') {
    return { ...outcome, modeDecision: await evolveAutoMode(finished, input.config, ports.ledger) };
  }
  return outcome;
}

/**
 * Deploy's timeout fired (a state-change event was missed): ask the deploy target how the deployment really
 * ended before deciding. Succeeded → a success; still running → stopped and rolled back; ended otherwise →
 * the failure it reports.
 */
async function settleTimedOutDeploy(
  input: RecordInput,
  deploymentId: string | undefined,
  ports: RecordPorts,
): Promise<RecordInput> {
  if (input.failure?.Error !== 'States.Timeout' || input.failedStage?.stage !== 'Deploy' || !deploymentId)
    return input;
  const description = await ports.deployTarget.describeDeployment(deploymentId);
  if (description.status === 'Succeeded') {
    const link = await ports.ledger.findDeployment(deploymentId);
    const deploy: DeployResult = link
      ? deployResultOf(link)
      : { deploymentId, toVersion: input.stage?.version ?? '?', strategy: 'unknown' };
    const { failure: _f, failedStage: _s, ...rest } = input;
    return { ...rest, deploy };
  }
  if (description.status === 'InProgress') {
    await ports.deployTarget.stopDeployment(deploymentId, 'the Deploy task timed out');
    return {
      ...input,
      failure: {
        Error: 'DeploymentRolledBack',
        Cause: `Deployment ${deploymentId} was still running when the Deploy task timed out; it was stopped and rolled back`,
      },
    };
  }
  const failure = deploymentFailure(
    description,
    `${description.reason ?? `Deployment ${deploymentId} ended ${description.status}`} (found by GetDeployment after the Deploy task timed out)`,
    description.alarm,
  );
  return { ...input, failure: { Error: failure.error, Cause: failure.cause } };
}

/**
 * The baseline of the release's canary, promoted or rolled back: both versions' invocations, error rate and p99
 * over the bake (from its start to now). None for a deployment without a canary (a first release, a manual
 * rollback: all at once). Informative only: a baseline that cannot be read must not fail the record.
 */
async function canaryBaseline(
  deploymentId: string | undefined,
  ports: RecordPorts,
): Promise<CanaryBaseline | undefined> {
  if (!deploymentId) return undefined;
  const link = await ports.ledger.findDeployment(deploymentId);
  if (!link?.fromVersion || link.strategy === 'AllAtOnce' || !link.startedAt) return undefined;
  try {
    return await ports.baselines.read({
      service: link.service,
      toVersion: link.toVersion,
      fromVersion: link.fromVersion,
      start: new Date(link.startedAt),
      end: ports.clock.now(),
    });
  } catch {
    return undefined;
  }
}

const ORDER: readonly StageName[] = ['LoadService', 'Build', 'Test', 'Stage', 'Approval', 'Deploy'];

/** When the stage before `stage` ended: the failed stage's start, for its duration. */
function previousStageEnd(
  stages: Partial<Record<StageName, { endedAt: string }>>,
  stage: StageName,
): string | undefined {
  for (const earlier of ORDER.slice(0, Math.max(0, ORDER.indexOf(stage))).reverse()) {
    const ended = stages[earlier]?.endedAt;
    if (ended) return ended;
  }
  return undefined;
}
