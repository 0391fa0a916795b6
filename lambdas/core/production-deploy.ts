/**
 * Starting a production deployment, shared by Deploy (the lock was free), Record (it hands the lock to the
 * oldest waiting release) and the rollback command: preflight, then the traffic shift behind the DeployTarget.
 *
 * Policy: one production deployment per service at a time. The SERVICE#<svc> item in the ledger is the lock
 * (a conditional write). A release that finds it taken parks its Deploy task token in the item's queue and
 * its execution stays paused on it; no state polls. When the holder's Record runs, it releases the lock to
 * the oldest waiter and starts that waiter's deployment, whose end resumes the waiter's execution as usual.
 * Nothing is dropped or superseded: every queued release deploys in order and every one is recorded.
 */

import type { Ports } from '../core/ports';
import type { DeploymentLink, QueuedDeployment } from '../ledger/ledger';
import { DeploymentFailedError, DeploymentRolledBackError, PreflightBlockedError } from './errors';
import type { DeployResult, ServiceConfig } from './model';
import type { DeploymentDescription, StartDeploymentRequest } from './ports';

export type ProductionDeployPorts = Pick<Ports, 'deployTarget' | 'alarms' | 'ledger' | 'tasks' | 'clock'>;

export interface ProductionDeployRequest {
  readonly releaseId: string;
  readonly taskToken: string;
  readonly config: ServiceConfig;
  /** The staged version to make live. */
  readonly version: string;
}

/** Refuses to deploy into a service whose alarms on its live version are already firing; names them. */
export async function preflight(
  config: ServiceConfig,
  liveVersion: string | undefined,
  ports: Pick<Ports, 'alarms'>,
): Promise<void> {
  const firing = await ports.alarms.inAlarm(config, liveVersion);
  if (firing.length > 0) {
    throw new PreflightBlockedError(
      `Preflight: ${firing.join(', ')} ${firing.length === 1 ? 'is' : 'are'} in ALARM for ${config.name}; ` +
        'nothing was deployed. Fix what the alarm reports (or wait for it to return to OK), then release again.',
    );
  }
}

/**
 * Preflight, then the alarms are pointed at the new version, then the deployment. Returns its id; the
 * execution is resumed by the deployment's end event (or at once, when the version is already live).
 */
export async function beginDeployment(
  request: ProductionDeployRequest,
  ports: ProductionDeployPorts,
): Promise<{ deploymentId: string }> {
  const { config, releaseId, version, taskToken } = request;
  const fromVersion = await ports.deployTarget.liveVersion(config);
  await preflight(config, fromVersion, ports);
  if (fromVersion === version) {
    // Lambda publishes no new version for unchanged code: the release is already live, nothing to shift.
    const result: DeployResult = {
      deploymentId: 'none',
      fromVersion,
      toVersion: version,
      strategy: 'Unchanged',
    };
    await ports.tasks.succeed(taskToken, result);
    return { deploymentId: result.deploymentId };
  }
  // Before CreateDeployment: CodeDeploy polls the alarms from the first minute of the canary.
  await ports.alarms.judge(config, version);
  // The token goes to the ledger before the deployment starts: its end event may arrive at once.
  await ports.ledger.updateRelease(releaseId, { deployTaskToken: taskToken });
  const deploymentId = await startLinkedDeployment(
    { service: config, releaseId, ...(fromVersion ? { fromVersion } : {}), toVersion: version },
    ports,
  );
  return { deploymentId };
}

/**
 * Starts a deployment and links its id to the release, which is how its end event finds the release (a
 * release or a rollback). A first release moves all at once.
 */
export async function startLinkedDeployment(
  request: StartDeploymentRequest,
  ports: Pick<Ports, 'deployTarget' | 'ledger' | 'clock'>,
): Promise<string> {
  const startedAt = ports.clock.now().toISOString();
  const { deploymentId } = await ports.deployTarget.startDeployment(request);
  await ports.ledger.linkDeployment({
    deploymentId,
    releaseId: request.releaseId,
    service: request.service.name,
    ...(request.fromVersion ? { fromVersion: request.fromVersion } : {}),
    toVersion: request.toVersion,
    strategy: request.fromVersion ? request.service.deploy.strategy : 'AllAtOnce',
    startedAt,
  });
  await ports.ledger.updateRelease(request.releaseId, { deploymentId });
  return deploymentId;
}

/**
 * Releases the lock `releaseId` holds and starts the deployment of the oldest waiting release. A waiter
 * whose deployment cannot start (preflight, a missing version) is failed through its task token: its own
 * Record then hands the lock on, so the queue never stalls.
 */
export async function handOverDeployLock(
  service: string,
  releaseId: string,
  ports: ProductionDeployPorts,
): Promise<QueuedDeployment | undefined> {
  const next = await ports.ledger.releaseDeployLock(service, releaseId, ports.clock.now().toISOString());
  if (!next) return undefined;
  try {
    await beginDeployment(
      { releaseId: next.releaseId, taskToken: next.taskToken, config: next.config, version: next.version },
      ports,
    );
  } catch (error) {
    const failure = error as Error;
    await ports.tasks.fail(next.taskToken, failure.name || 'DeploymentFailedError', failure.message);
  }
  return next;
}

/** What Deploy returns for a deployment that succeeded, from the link written when it started. */
export function deployResultOf(link: DeploymentLink): DeployResult {
  return {
    deploymentId: link.deploymentId,
    ...(link.fromVersion ? { fromVersion: link.fromVersion } : {}),
    toVersion: link.toVersion,
    strategy: link.strategy,
  };
}

/**
 * The named failure of a deployment that did not succeed: rolled back (by CodeDeploy or an alarm) or failed.
 * The cause is the JSON Record reads the human message and the alarm from.
 */
export function deploymentFailure(
  description: DeploymentDescription,
  reason: string,
  alarm: string | undefined,
): { readonly error: string; readonly cause: string } {
  const error =
    description.rolledBack || alarm
      ? new DeploymentRolledBackError(reason)
      : new DeploymentFailedError(reason);
  return {
    error: error.name,
    cause: JSON.stringify({ errorMessage: error.message, ...(alarm ? { alarm } : {}) }),
  };
}
