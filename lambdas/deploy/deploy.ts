import { DeploymentFailedError } from '../shared/errors';
import type { DeployResult, ReleaseInfo, ServiceConfig, StageResult } from '../shared/model';
import type { Ports } from '../shared/wiring';

export type DeployPorts = Pick<Ports, 'deployTarget' | 'ledger' | 'tasks'>;

/** The payload of the Deploy task (lambda:invoke.waitForTaskToken). */
export interface DeployInput {
  readonly taskToken: string;
  readonly releaseId: string;
  readonly release: ReleaseInfo;
  readonly config: ServiceConfig;
  readonly stage: StageResult;
}

/**
 * Starts the production deployment and returns. The execution stays paused on its task token until the
 * deployment's state-change event arrives (lambdas/deployment-events), however long the bake takes.
 */
export async function startDeploy(input: DeployInput, ports: DeployPorts): Promise<{ deploymentId: string }> {
  if (typeof input.taskToken !== 'string' || input.taskToken.length === 0) {
    throw new DeploymentFailedError(
      'Deploy was invoked without a task token; it must run as lambda:invoke.waitForTaskToken',
    );
  }
  const { config, stage, releaseId } = input;
  const fromVersion = await ports.deployTarget.liveVersion(config);
  if (fromVersion === stage.version) {
    // Lambda publishes no new version for unchanged code: the release is already live, nothing to shift.
    const result: DeployResult = {
      deploymentId: 'none',
      fromVersion,
      toVersion: stage.version,
      strategy: 'Unchanged',
    };
    await ports.tasks.succeed(input.taskToken, result);
    return { deploymentId: result.deploymentId };
  }
  // The token goes to the ledger before the deployment starts: its end event may arrive at once.
  await ports.ledger.updateRelease(releaseId, { deployTaskToken: input.taskToken });
  const { deploymentId } = await ports.deployTarget.startDeployment({
    service: config,
    releaseId,
    ...(fromVersion ? { fromVersion } : {}),
    toVersion: stage.version,
  });
  await ports.ledger.linkDeployment({
    deploymentId,
    releaseId,
    service: config.name,
    ...(fromVersion ? { fromVersion } : {}),
    toVersion: stage.version,
    strategy: fromVersion ? config.deploy.strategy : 'AllAtOnce',
  });
  await ports.ledger.updateRelease(releaseId, { deploymentId });
  return { deploymentId };
}
