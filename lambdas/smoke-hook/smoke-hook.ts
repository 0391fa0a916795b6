import {
  type CodeDeployClient,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import type { SmokeConfig } from '../core/catalog/types';
import { runSmokeCheck, type SmokeInvokers } from '../core/smoke-check';

/** Set by the PostTrafficSmoke construct. */
export const SMOKE_ENV = { service: 'SLUICE_SMOKE_SERVICE', request: 'SLUICE_SMOKE_REQUEST' } as const;

/** What CodeDeploy sends a Lambda lifecycle hook. */
export interface LifecycleHookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

export interface SmokeHookOutcome {
  readonly status: 'Succeeded' | 'Failed';
  /** What was sent and what came back, or why nothing came back. */
  readonly detail: string;
}

/**
 * The post-traffic smoke check: once all traffic is on the new version, run the catalog's smoke check (an HTTP
 * request, or an event invoked directly) against the live alias and tell CodeDeploy whether it passed
 * (PutLifecycleEventHookExecutionStatus). `Failed` makes CodeDeploy fail the deployment and roll it back.
 */
export async function runPostTrafficSmoke(
  event: LifecycleHookEvent,
  smoke: SmokeConfig,
  invoke: SmokeInvokers,
  codeDeploy: CodeDeployClient,
): Promise<SmokeHookOutcome> {
  let outcome: SmokeHookOutcome;
  try {
    const result = await runSmokeCheck(smoke, invoke);
    outcome = {
      status: result.passed ? 'Succeeded' : 'Failed',
      detail: result.problem ? `${result.summary}: ${result.problem}` : result.summary,
    };
  } catch (error) {
    outcome = { status: 'Failed', detail: `no answer: ${(error as Error).message}` };
  }
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: outcome.status,
    }),
  );
  return outcome;
}
