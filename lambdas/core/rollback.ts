/**
 * One-command rollback: redeploy the last known-good version of a service (or a named release's version)
 * through the same path as a release: the production lock on the ledger, DeployTarget.startDeployment, the
 * deployment's state-change event (lambdas/deployment-events records the end and hands the lock on).
 * Recorded in the ledger as a release of its own, with who asked and why.
 */

import type { Ports } from '../core/ports';
import type { ReleaseRecord } from '../ledger/ledger';
import { RollbackRefusedError } from './errors';
import type { ServiceConfig } from './model';
import { handOverDeployLock, type ProductionDeployPorts, startLinkedDeployment } from './production-deploy';

/** The deploy ports too: a rollback that fails after taking the lock hands it on like any release. */
export type RollbackPorts = ProductionDeployPorts & Pick<Ports, 'catalog'>;

export interface RollbackRequest {
  readonly service: string;
  /** The release whose version to redeploy. @default - the newest succeeded release before the live one */
  readonly toReleaseId?: string;
  readonly reason: string;
  /** Who asks (an email address). */
  readonly requestedBy: string;
}

export interface RollbackStarted {
  readonly releaseId: string;
  readonly deploymentId: string;
  readonly service: string;
  readonly fromVersion?: string;
  readonly toVersion: string;
  readonly toReleaseId: string;
}

/** A release that reached production with a version to go back to (a rollback's own record is not one). */
const reachedProduction = (r: ReleaseRecord) =>
  r.status === 'succeeded' && r.version !== undefined && !r.rollback;

function deployedReleases(releases: readonly ReleaseRecord[]): ReleaseRecord[] {
  return releases.filter(reachedProduction);
}

async function chooseTarget(
  config: ServiceConfig,
  request: RollbackRequest,
  live: string | undefined,
  ports: RollbackPorts,
): Promise<ReleaseRecord> {
  const history = await ports.ledger.listReleases(config.name, 200);
  if (request.toReleaseId) {
    const named = await ports.ledger.getRelease(request.toReleaseId);
    if (!named || named.service !== config.name) {
      const known = deployedReleases(history).map((r) => r.releaseId);
      throw new RollbackRefusedError(
        `Release ${JSON.stringify(request.toReleaseId)} of ${config.name} is not in the ledger. ` +
          (known.length
            ? `Releases that reached production: ${known.slice(0, 10).join(', ')}.`
            : 'No release of it reached production yet.'),
      );
    }
    if (!reachedProduction(named)) {
      const where = named.outcome ? `${named.outcome.status} at ${named.outcome.stage}` : named.status;
      throw new RollbackRefusedError(
        `Release ${named.releaseId} was never deployed to production (it ended ${where}), so there is no ` +
          'known-good version of it to go back to. Name a release that succeeded, or leave --to out.',
      );
    }
    return named;
  }
  const candidate = deployedReleases(history).find((r) => r.version !== live);
  if (!candidate) {
    throw new RollbackRefusedError(
      `${config.name} has no earlier release that reached production${live ? ` (live: version ${live})` : ''}; there is nothing to roll back to.`,
    );
  }
  return candidate;
}

/**
 * Validates everything before changing anything, takes the production lock (refusing, not queueing, when a
 * deployment holds it: that deployment is watched by its own alarms), then starts the deployment. Traffic
 * moves all at once: a rollback goes back to a version that already served production. Preflight is not
 * applied: rolling back is what one does while alarms fire.
 */
export async function startRollback(
  request: RollbackRequest,
  ports: RollbackPorts,
): Promise<RollbackStarted> {
  const catalog = await ports.catalog.load();
  const config = catalog.services.find((s) => s.name === request.service);
  if (!config) {
    throw new RollbackRefusedError(
      `Unknown service ${JSON.stringify(request.service)}; the catalog has: ${catalog.services.map((s) => s.name).join(', ') || 'no services'}.`,
    );
  }
  if (!request.reason.trim())
    throw new RollbackRefusedError('Say why: --reason "..." is required and is recorded.');
  if (!request.requestedBy.trim())
    throw new RollbackRefusedError('Say who: --as EMAIL is required and is recorded.');
  const live = await ports.deployTarget.liveVersion(config);
  const target = await chooseTarget(config, request, live, ports);
  const toVersion = target.version as string;
  if (toVersion === live) {
    throw new RollbackRefusedError(
      `${config.name} already serves version ${toVersion} (release ${target.releaseId}); nothing to roll back.`,
    );
  }
  const now = ports.clock.now();
  const stamp = now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 17);
  const releaseId = `${config.name}-rollback-${stamp}`;
  const lock = await ports.ledger.tryDeployLock(config.name, releaseId, now.toISOString());
  if (lock.holder !== releaseId) {
    throw new RollbackRefusedError(
      `${config.name} has a production deployment in progress (release ${lock.holder}); its alarms watch it and ` +
        'roll it back on their own. Run the rollback again when it has ended.',
    );
  }
  try {
    await ports.ledger.startRelease({
      releaseId,
      service: config.name,
      mode: await ports.ledger.releaseModeOf(config),
      commit: target.commit,
      startedAt: now.toISOString(),
      trigger: { source: 'manual', actor: request.requestedBy },
    });
    await ports.ledger.updateRelease(releaseId, {
      version: toVersion,
      rollback: {
        requestedBy: request.requestedBy,
        reason: request.reason,
        toReleaseId: target.releaseId,
        ...(live ? { fromVersion: live } : {}),
        toVersion,
      },
    });
    const deploymentId = await startLinkedDeployment(
      {
        service: { ...config, deploy: { ...config.deploy, strategy: 'AllAtOnce' } },
        releaseId,
        ...(live ? { fromVersion: live } : {}),
        toVersion,
        ignoreAlarms: true,
      },
      ports,
    );
    return {
      releaseId,
      deploymentId,
      service: config.name,
      ...(live ? { fromVersion: live } : {}),
      toVersion,
      toReleaseId: target.releaseId,
    };
  } catch (error) {
    const failure = error as Error;
    await ports.ledger.finishRelease(releaseId, config.name, {
      status: 'failed',
      stage: 'Deploy',
      reason: `${failure.name}: ${failure.message}`,
      endedAt: ports.clock.now().toISOString(),
    });
    // Starts the deployment of a release that queued meanwhile, as Record does when a release ends.
    await handOverDeployLock(config.name, releaseId, ports);
    throw error;
  }
}
