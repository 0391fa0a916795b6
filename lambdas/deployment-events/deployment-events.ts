import type { EventBridgeEvent } from 'aws-lambda';
import {
  deploymentFailure,
  deployResultOf,
  handOverDeployLock,
  type ProductionDeployPorts,
} from '../core/production-deploy';
import type { DeploymentLink, ReleaseRecord } from '../ledger/ledger';

export type DeploymentEventsPorts = ProductionDeployPorts;

export interface CodeDeployStateDetail {
  readonly deploymentId: string;
  readonly state: string;
  readonly application?: string;
  readonly deploymentGroup?: string;
}

export type CodeDeployStateChange = EventBridgeEvent<
  'CodeDeploy Deployment State-change Notification',
  CodeDeployStateDetail
>;

export type DeploymentEventOutcome =
  | 'resumed-success'
  | 'resumed-failure'
  | 'rollback-succeeded'
  | 'rollback-failed'
  | 'ignored';

const FINAL_STATES = new Set(['SUCCESS', 'FAILURE', 'STOP']);

export interface DeploymentEventOptions {
  /** The Deploy task links its deployment right after starting it; wait this long for the link. @default 5 x 200 ms */
  readonly linkAttempts?: number;
  readonly linkDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resumes the release paused on the Deploy task when its deployment ends: success, or failure with the reason. */
export async function onDeploymentStateChange(
  event: CodeDeployStateChange,
  ports: DeploymentEventsPorts,
  options: DeploymentEventOptions = {},
): Promise<DeploymentEventOutcome> {
  const { deploymentId, state } = event.detail ?? ({} as CodeDeployStateDetail);
  if (!deploymentId || !FINAL_STATES.has(state)) return 'ignored';
  const attempts = options.linkAttempts ?? 5;
  let link = await ports.ledger.findDeployment(deploymentId);
  for (let i = 1; !link && i < attempts; i++) {
    await sleep(options.linkDelayMs ?? 200);
    link = await ports.ledger.findDeployment(deploymentId);
  }
  if (!link) return 'ignored'; // not started by Sluice (e.g. a deployment made by hand)
  const release = await ports.ledger.getRelease(link.releaseId);
  if (release?.rollback) return finishRollback(release, link, state, ports);
  const token = release?.deployTaskToken;
  if (!token) {
    // Its execution ended while the deployment ran (execution-events stopped it): the lock it still holds moves
    // on now that the deployment has ended. A no-op for a release that does not hold it (a repeated event).
    if (release && release.status !== 'running')
      await handOverDeployLock(release.service, release.releaseId, ports);
    return 'ignored'; // already resumed: events arrive at least once
  }
  if (state === 'SUCCESS') {
    await ports.tasks.succeed(token, deployResultOf(link));
    return 'resumed-success';
  }
  const description = await ports.deployTarget.describeDeployment(deploymentId);
  // An alarm that stopped the deployment through alarm-events is in the ledger; CodeDeploy's own in its error.
  const alarm = release?.stoppedByAlarm ?? description.alarm;
  const reason =
    release?.stoppedByAlarm && !description.alarm
      ? `Alarm ${release.stoppedByAlarm} fired; the deployment was stopped and rolled back`
      : (description.reason ?? `Deployment ${deploymentId} ended in state ${state}`);
  const failure = deploymentFailure(description, reason, alarm);
  await ports.tasks.fail(token, failure.error, failure.cause);
  return 'resumed-failure';
}

/** A rollback (`sluice rollback`) has no execution to resume: its end is recorded here, and the lock moves on. */
async function finishRollback(
  release: ReleaseRecord,
  link: DeploymentLink,
  state: string,
  ports: DeploymentEventsPorts,
): Promise<DeploymentEventOutcome> {
  if (release.status !== 'running') return 'ignored';
  const endedAt = ports.clock.now().toISOString();
  if (state === 'SUCCESS') {
    await ports.ledger.finishRelease(release.releaseId, release.service, {
      status: 'succeeded',
      stage: 'Deploy',
      reason: `Rolled back to ${release.rollback?.toReleaseId} by ${release.rollback?.requestedBy}: ${release.rollback?.reason}`,
      endedAt,
    });
    await ports.ledger.setLive(release.service, {
      liveVersion: link.toVersion,
      liveReleaseId: release.rollback?.toReleaseId ?? release.releaseId,
      liveCommit: release.commit.sha,
      updatedAt: endedAt,
    });
  } else {
    const description = await ports.deployTarget.describeDeployment(link.deploymentId);
    await ports.ledger.finishRelease(release.releaseId, release.service, {
      status: 'failed',
      stage: 'Deploy',
      reason: `Rollback deployment ${link.deploymentId} ended ${state}: ${description.reason ?? 'no reason given'}`,
      endedAt,
    });
  }
  await handOverDeployLock(release.service, release.releaseId, ports);
  return state === 'SUCCESS' ? 'rollback-succeeded' : 'rollback-failed';
}
