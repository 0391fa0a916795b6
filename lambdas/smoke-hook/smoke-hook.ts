import {
  type CodeDeployClient,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import type { HttpRequest, InvokeResult } from '../core/ports';

/** Set by the PostTrafficSmoke construct. */
export const SMOKE_ENV = { service: 'SLUICE_SMOKE_SERVICE', request: 'SLUICE_SMOKE_REQUEST' } as const;

/** What CodeDeploy sends a Lambda lifecycle hook. */
export interface LifecycleHookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

export interface SmokeHookSettings {
  readonly request: HttpRequest;
  readonly expectStatus: number;
}

/**
 * The post-traffic smoke check: once all traffic is on the new version, send the catalog's smoke request to
 * the live alias and tell CodeDeploy whether it answered as expected (PutLifecycleEventHookExecutionStatus).
 * `Failed` makes CodeDeploy fail the deployment and roll it back.
 */
export async function runPostTrafficSmoke(
  event: LifecycleHookEvent,
  settings: SmokeHookSettings,
  invoke: (request: HttpRequest) => Promise<InvokeResult>,
  codeDeploy: CodeDeployClient,
): Promise<'Succeeded' | 'Failed'> {
  let status: 'Succeeded' | 'Failed';
  try {
    const answer = await invoke(settings.request);
    status = answer.statusCode === settings.expectStatus ? 'Succeeded' : 'Failed';
  } catch {
    status = 'Failed';
  }
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
  return status;
}
