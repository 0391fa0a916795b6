import type { EventBridgeEvent } from 'aws-lambda';
import { DeploymentFailedError, DeploymentRolledBackError } from '../shared/errors';
import type { DeployResult } from '../shared/model';
import type { Ports } from '../shared/wiring';

export type DeploymentEventsPorts = Pick<Ports, 'deployTarget' | 'ledger' | 'tasks'>;

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

export type DeploymentEventOutcome = 'resumed-success' | 'resumed-failure' | 'ignored';

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
  const token = release?.deployTaskToken;
  if (!token) return 'ignored'; // already resumed: events arrive at least once
  if (state === 'SUCCESS') {
    const result: DeployResult = {
      deploymentId,
      ...(link.fromVersion ? { fromVersion: link.fromVersion } : {}),
      toVersion: link.toVersion,
      strategy: link.strategy,
    };
    await ports.tasks.succeed(token, result);
    return 'resumed-success';
  }
  const description = await ports.deployTarget.describeDeployment(deploymentId);
  const reason = description.reason ?? `Deployment ${deploymentId} ended in state ${state}`;
  const error =
    description.rolledBack || description.alarm
      ? new DeploymentRolledBackError(reason)
      : new DeploymentFailedError(reason);
  await ports.tasks.fail(token, error.name, error.message);
  return 'resumed-failure';
}
