/**
 * runReleaseExecution's state machine: the interpreter validates a definition the first time the process runs it
 * (asl-validator, the costly part), runs it again without validating, and refuses an invalid one every time.
 */
import { describe, expect, it } from 'vitest';
import type { ReleaseRequest } from '../../lambdas/core/model';
import type { LocalTaskBroker } from '../../local/adapters/task-broker';
import type { AslDefinition } from '../../local/definition';
import { type ReleaseExecutionOptions, runReleaseExecution } from '../../local/release-execution';

function options(definition: unknown, releaseId: string): ReleaseExecutionOptions {
  return {
    definition: definition as AslDefinition,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sluice-releases',
    bindings: [],
    input: { releaseId, service: 'svc' } as ReleaseRequest,
    startedAt: 0,
    broker: { mint: () => 'token', forget: () => undefined } as unknown as LocalTaskBroker,
    timeScale: 60,
    taskOverrides: {},
    onStateEntered: () => undefined,
    log: () => undefined,
  };
}

describe('runReleaseExecution', () => {
  it('runs a definition again, the same way, once it has been validated', async () => {
    const definition = {
      StartAt: 'Prepare',
      States: { Prepare: { Type: 'Pass', Next: 'Done' }, Done: { Type: 'Succeed' } },
    };
    const first = await runReleaseExecution(options(definition, 'svc-first'));
    const again = await runReleaseExecution(options(structuredClone(definition), 'svc-again'));
    expect(first).toEqual({ transitions: 2, stages: [], end: { status: 'SUCCEEDED' } });
    expect(again).toEqual(first);
  });

  it('leaves the definition it was given as it was, so its next run is known as validated', async () => {
    // asl-validator adds QueryLanguage to every state it validates; on the caller's object that changed the
    // definition's key, and the next run validated it again. (States of its own: one this process has validated
    // already is not validated again.)
    const definition = {
      StartAt: 'Begin',
      States: { Begin: { Type: 'Pass', Next: 'End' }, End: { Type: 'Succeed' } },
    };
    const before = structuredClone(definition);
    await runReleaseExecution(options(definition, 'svc-untouched'));
    expect(definition).toEqual(before);
  });

  it('refuses an invalid definition each time it is asked to run it', async () => {
    const invalid = { StartAt: 'Missing', States: { Done: { Type: 'Succeed' } } };
    for (const releaseId of ['svc-one', 'svc-two']) {
      await expect(runReleaseExecution(options(invalid, releaseId))).rejects.toThrow(
        /State machine definition is invalid/,
      );
    }
  });
});
