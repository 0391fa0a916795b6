import { describe, expect, it } from 'vitest';
import { DEPLOY_STRATEGIES } from '../../../../lambdas/core/catalog/types';
import { ALL_AT_ONCE, parseDeployStrategy, planMinutes } from '../../../../local/aws/codedeploy/strategy';

describe('parseDeployStrategy', () => {
  it.each(DEPLOY_STRATEGIES)('gives %s a plan that ends at 100%%', (strategy) => {
    const plan = parseDeployStrategy(strategy);
    expect(plan.strategy).toBe(strategy);
    expect(plan.steps.at(-1)).toEqual({ percent: 100, bakeMinutes: 0 });
    const percents = plan.steps.map((s) => s.percent);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
  });

  it('moves everything at once for AllAtOnce', () => {
    expect(parseDeployStrategy('AllAtOnce')).toEqual(ALL_AT_ONCE);
    expect(planMinutes(ALL_AT_ONCE)).toBe(0);
  });

  it('holds X% for Y minutes, then 100%, for a canary', () => {
    expect(parseDeployStrategy('Canary10Percent5Minutes')).toEqual({
      strategy: 'Canary10Percent5Minutes',
      kind: 'canary',
      steps: [
        { percent: 10, bakeMinutes: 5 },
        { percent: 100, bakeMinutes: 0 },
      ],
    });
    expect(planMinutes(parseDeployStrategy('Canary10Percent30Minutes'))).toBe(30);
  });

  it('adds X% every Y minutes until 100% for a linear deployment', () => {
    const plan = parseDeployStrategy('Linear10PercentEvery3Minutes');
    expect(plan.kind).toBe('linear');
    expect(plan.steps.map((s) => s.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(plan.steps.slice(0, -1).every((s) => s.bakeMinutes === 3)).toBe(true);
    expect(planMinutes(plan)).toBe(27);
    expect(planMinutes(parseDeployStrategy('Linear10PercentEvery1Minute'))).toBe(9);
  });

  it('accepts the CodeDeployDefault.Lambda prefix', () => {
    expect(parseDeployStrategy('CodeDeployDefault.LambdaCanary10Percent15Minutes').steps[0]).toEqual({
      percent: 10,
      bakeMinutes: 15,
    });
  });

  it.each([
    'Canary50Percent1Minute',
    'canary10percent5minutes',
    '',
    'Linear10PercentEvery5Minutes',
    'AllAtOnce ',
  ])('refuses %j, naming the strategies it accepts', (strategy) => {
    let error: Error | undefined;
    try {
      parseDeployStrategy(strategy);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('DeploymentFailedError');
    expect(error?.message).toContain(`Unknown deploy strategy ${JSON.stringify(strategy)}`);
    for (const known of DEPLOY_STRATEGIES) expect(error?.message).toContain(known);
  });
});
