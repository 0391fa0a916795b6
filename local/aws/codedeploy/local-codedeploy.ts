/**
 * The local stand-in for CodeDeploy's Lambda deployments: one deployment group per function, at most one
 * deployment in progress in it, each deployment shifting the function's alias on its own once created.
 */

import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import { DeploymentFailedError } from '../../../lambdas/core/errors';
import { type DeploymentHost, LocalDeployment } from './deployment';
import { ALL_AT_ONCE, parseDeployStrategy } from './strategy';

/** CodeDeploy's DeploymentDoesNotExistException. */
export class UnknownDeploymentError extends Error {
  override readonly name = 'DeploymentDoesNotExistException';
}

export interface LocalCodeDeployOptions {
  /** What the deployment group's function looks like now (CodeDeploy validates the AppSpec against it). */
  readonly functions: {
    hasVersion(fn: string, version: string): Promise<boolean>;
    liveVersion(fn: string): Promise<string | undefined>;
  };
  /** Lambda, CloudWatch and traffic for a deployment of `service`. */
  readonly hostFor: (service: ServiceConfig) => Promise<DeploymentHost>;
  /** @default - silent */
  readonly log?: (line: string) => void;
}

export interface CreateDeploymentRequest {
  readonly service: ServiceConfig;
  readonly releaseId: string;
  /** The alias's current version; none for a function's first release. */
  readonly fromVersion?: string;
  readonly toVersion: string;
}

export class LocalCodeDeploy {
  private readonly deployments = new Map<string, LocalDeployment>();
  private readonly latest = new Map<string, LocalDeployment>();
  private readonly runs = new Set<Promise<void>>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: LocalCodeDeployOptions) {
    this.log = options.log ?? (() => undefined);
  }

  /** CreateDeployment: validated now, run from the next tick on. */
  async createDeployment(request: CreateDeploymentRequest): Promise<LocalDeployment> {
    const { service, fromVersion, toVersion } = request;
    // Validated even for a first release: a bad catalog should fail the first deploy, not the second.
    const strategy = parseDeployStrategy(service.deploy.strategy);
    if (!(await this.options.functions.hasVersion(service.name, toVersion))) {
      throw new DeploymentFailedError(
        `${service.name} has no version ${toVersion} to deploy; stage it first`,
      );
    }
    const running = this.inProgress(service.name);
    if (running) {
      const { fromVersion: from, toVersion: to } = running.request;
      throw new DeploymentFailedError(
        `${service.name} already has deployment ${running.id} in progress (${from ? `v${from} → ` : ''}v${to}); ` +
          'one deployment per service at a time: wait for it to end',
      );
    }
    const live = await this.options.functions.liveVersion(service.name);
    if (fromVersion !== undefined && fromVersion !== live) {
      throw new DeploymentFailedError(
        `v${fromVersion} is not the live version of ${service.name} (live: ${live ? `v${live}` : 'none'})`,
      );
    }
    if (fromVersion === toVersion)
      throw new DeploymentFailedError(`v${toVersion} of ${service.name} is already live`);
    const deployment = new LocalDeployment(
      {
        service,
        releaseId: request.releaseId,
        ...(fromVersion ? { fromVersion } : {}),
        toVersion,
        plan: fromVersion ? strategy : ALL_AT_ONCE,
      },
      await this.options.hostFor(service),
    );
    this.latest.set(service.name, deployment);
    this.deployments.set(deployment.id, deployment);
    // After this tick, like CodeDeploy: the caller records the id before any event can name it.
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => deployment.run());
    this.runs.add(run);
    run
      .catch((error: Error) =>
        this.log(`${service.name}: deployment ${deployment.id} crashed: ${error.message}`),
      )
      .finally(() => this.runs.delete(run));
    return deployment;
  }

  /** The deployment group's deployment in progress, if any. */
  inProgress(service: string): LocalDeployment | undefined {
    const deployment = this.latest.get(service);
    return deployment?.inProgress ? deployment : undefined;
  }

  /** GetDeployment's subject; DeploymentDoesNotExistException for an unknown id. */
  deployment(deploymentId: string): LocalDeployment {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment)
      throw new UnknownDeploymentError(`Deployment ${deploymentId} does not exist in the local CodeDeploy`);
    return deployment;
  }

  /** StopDeployment with rollback: the bake ends at its next check and traffic goes back. */
  stopDeployment(deploymentId: string, reason: string): void {
    const deployment = this.deployment(deploymentId);
    this.log(`${deployment.service}: StopDeployment ${deploymentId} with rollback (${reason})`);
    deployment.requestStop(reason);
  }

  /** Ends every running deployment (traffic goes back, no event). */
  async close(): Promise<void> {
    for (const deployment of this.deployments.values()) deployment.abort();
    // A deployment notices within one evaluation tick; an event receiver that hangs must not hang close().
    await Promise.race([
      Promise.allSettled([...this.runs]),
      new Promise((resolve) => setTimeout(resolve, 5000).unref()),
    ]);
  }
}
