/**
 * The cost module derives each release's state transitions from its outcome. These checks hold that rule to the
 * state machine CDK renders, so a change to the definition that the rule does not follow fails here.
 */
import { describe, expect, it } from 'vitest';
import { type ReleaseFacts, TASK_HANDLERS, transitionPath } from '../../../lambdas/core/cost';
import { defined } from '../../../lambdas/core/defined';
import { type AslState, extractLocalDefinition } from '../../../local/definition';
import { synthPipelineTemplate } from '../../../local/synth';
import { catalogOf } from '../../lib/fixtures';

const { definition, bindings } = extractLocalDefinition(synthPipelineTemplate(catalogOf(2)));

/** Every state `state` can go to next: Next, a Catch target, a Choice branch or its Default. */
function successors(state: AslState): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const c of (state.Catch ?? []) as { Next: string }[]) next.push(c.Next);
  for (const c of (state.Choices ?? []) as { Next: string }[]) next.push(c.Next);
  return next;
}

const base = { stages: {}, deploymentId: 'd-1' } as const;
const OUTCOMES: ReleaseFacts[] = [
  { ...base, mode: 'deployment', status: 'succeeded', outcome: { stage: 'Deploy' } },
  { ...base, mode: 'deployment', status: 'rolled_back', outcome: { stage: 'Deploy' } },
  { ...base, mode: 'deployment', status: 'blocked', outcome: { stage: 'Deploy' } },
  { ...base, mode: 'delivery', status: 'succeeded', outcome: { stage: 'Deploy' } },
  { ...base, mode: 'delivery', status: 'failed', outcome: { stage: 'Deploy' } },
  { ...base, mode: 'delivery', status: 'rejected', outcome: { stage: 'Approval' } },
  { ...base, mode: 'delivery', status: 'expired', outcome: { stage: 'Approval' } },
  { ...base, mode: 'delivery', status: 'superseded', outcome: { stage: 'Approval' } },
  ...(['LoadService', 'Build', 'Test', 'Stage'] as const).map(
    (stage): ReleaseFacts => ({ ...base, mode: 'deployment', status: 'failed', outcome: { stage } }),
  ),
];

describe('transitionPath against the rendered state machine', () => {
  it.each(OUTCOMES.map((facts) => [`${facts.mode} ${facts.status} at ${facts.outcome?.stage}`, facts]))(
    '%s is a walk from StartAt to an end state',
    (_, facts) => {
      const path = transitionPath(facts as ReleaseFacts) ?? [];
      expect(path[0]).toBe(definition.StartAt);
      for (let i = 1; i < path.length; i++) {
        expect(
          successors(defined(definition.States[defined(path[i - 1], 'the previous state')], 'its state')),
          `${path[i - 1]} → ${path[i]}`,
        ).toContain(path[i]);
      }
      const last = definition.States[path.at(-1) ?? ''];
      expect(['Succeed', 'Fail']).toContain(last?.Type);
      expect(last?.Type === 'Succeed').toBe((facts as ReleaseFacts).status === 'succeeded');
    },
  );

  it('binds each Task state to the handler the cost module bills for it', () => {
    expect(Object.fromEntries(bindings.map((b) => [b.stateName, b.handler]))).toEqual(TASK_HANDLERS);
  });
});
