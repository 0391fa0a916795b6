/**
 * CodeDeploy's predefined Lambda deployment configurations as a plan of traffic steps, so the local deploy
 * target shifts traffic the way CodeDeploy would.
 */

import { DEPLOY_STRATEGIES } from '../../../lambdas/core/catalog/types';
import { DeploymentFailedError } from '../../../lambdas/core/errors';

export interface TrafficStep {
  /** Percentage of live traffic the new version gets in this step. */
  readonly percent: number;
  /** How long this step lasts before the next one, in (CodeDeploy) minutes; 0 for the final 100% step. */
  readonly bakeMinutes: number;
}

export interface TrafficPlan {
  /** The strategy name without the `CodeDeployDefault.Lambda` prefix. */
  readonly strategy: string;
  readonly kind: 'all-at-once' | 'canary' | 'linear';
  /** In order; the last step is always 100% with no bake. */
  readonly steps: readonly TrafficStep[];
}

const PREFIX = 'CodeDeployDefault.Lambda';
const CANARY = /^Canary(\d+)Percent(\d+)Minutes?$/;
const LINEAR = /^Linear(\d+)PercentEvery(\d+)Minutes?$/;

/** The plan for moving traffic all at once (a first release, or `AllAtOnce`). */
export const ALL_AT_ONCE: TrafficPlan = {
  strategy: 'AllAtOnce',
  kind: 'all-at-once',
  steps: [{ percent: 100, bakeMinutes: 0 }],
};

/**
 * Parses one of DEPLOY_STRATEGIES (with or without the `CodeDeployDefault.Lambda` prefix) into traffic steps.
 * Only the predefined configurations are accepted: they are the ones the CDK construct can name too.
 */
export function parseDeployStrategy(strategy: string): TrafficPlan {
  const name = strategy.startsWith(PREFIX) ? strategy.slice(PREFIX.length) : strategy;
  if (!(DEPLOY_STRATEGIES as readonly string[]).includes(name)) {
    throw new DeploymentFailedError(
      `Unknown deploy strategy ${JSON.stringify(strategy)}; use one of ${DEPLOY_STRATEGIES.join(', ')}`,
    );
  }
  if (name === 'AllAtOnce') return ALL_AT_ONCE;
  const canary = CANARY.exec(name);
  if (canary) {
    const [percent, minutes] = [Number(canary[1]), Number(canary[2])];
    return {
      strategy: name,
      kind: 'canary',
      steps: [
        { percent, bakeMinutes: minutes },
        { percent: 100, bakeMinutes: 0 },
      ],
    };
  }
  const linear = LINEAR.exec(name);
  if (linear) {
    const [increment, minutes] = [Number(linear[1]), Number(linear[2])];
    const steps: TrafficStep[] = [];
    for (let percent = increment; percent < 100; percent += increment)
      steps.push({ percent, bakeMinutes: minutes });
    steps.push({ percent: 100, bakeMinutes: 0 });
    return { strategy: name, kind: 'linear', steps };
  }
  // Unreachable while DEPLOY_STRATEGIES only holds the three shapes above; a new shape must be taught here.
  throw new DeploymentFailedError(`Deploy strategy ${name} has no traffic plan in the local deploy target`);
}

/** Total bake time of a plan in CodeDeploy minutes. */
export function planMinutes(plan: TrafficPlan): number {
  return plan.steps.reduce((sum, step) => sum + step.bakeMinutes, 0);
}
