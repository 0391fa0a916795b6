import { DeploymentFailedError } from '../core/errors';
import type { ReleaseInfo, ServiceConfig, StageResult } from '../core/model';
import { beginDeployment, type ProductionDeployPorts } from '../core/production-deploy';

export type DeployPorts = ProductionDeployPorts;

/** The payload of the Deploy task (lambda:invoke.waitForTaskToken). */
export interface DeployInput {
  readonly taskToken: string;
  readonly releaseId: string;
  readonly release: ReleaseInfo;
  readonly config: ServiceConfig;
  readonly stage: StageResult;
}

/** `queued`: another release of the service holds the production lock; this one starts when it is handed over. */
export type DeployStart = { readonly deploymentId: string } | { readonly queuedBehind: string };

/**
 * Takes the service's production deployment lock, runs preflight and starts the deployment, then returns. The
 * execution stays paused on its task token until the deployment's state-change event arrives
 * (lambdas/deployment-events), however long the bake takes. When another release holds the lock, the token
 * waits in the lock's queue instead and the holder's Record starts this deployment (lambdas/core/production-deploy.ts).
 */
export async function startDeploy(input: DeployInput, ports: DeployPorts): Promise<DeployStart> {
  if (typeof input.taskToken !== 'string' || input.taskToken.length === 0) {
    throw new DeploymentFailedError(
      'Deploy was invoked without a task token; it must run as lambda:invoke.waitForTaskToken',
    );
  }
  const { config, stage, releaseId, taskToken } = input;
  const lock = await ports.ledger.acquireDeployLock(config.name, {
    releaseId,
    taskToken,
    config,
    version: stage.version,
    queuedAt: ports.clock.now().toISOString(),
  });
  if (lock === 'queued') {
    const state = await ports.ledger.getServiceState(config.name);
    return { queuedBehind: state?.lockHolder ?? 'another release' };
  }
  return beginDeployment({ releaseId, taskToken, config, version: stage.version }, ports);
}
