/**
 * One execution of the release state machine in the ASL interpreter, as Step Functions would run it: the
 * execution context, a task token per task, compressed retry intervals, and the states entered and left, read
 * from the interpreter's own events.
 */
import { createHash } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { ReleaseRequest, ReleaseStatus, StageName } from '../lambdas/core/model';
import { executionNameOf } from '../lambdas/core/push-routing';
import type { ReleaseRecord } from '../lambdas/ledger/ledger';
import type { LocalTaskBroker } from './adapters/task-broker';
import { type AslDefinition, LOCAL_ACCOUNT, LOCAL_REGION, type TaskBinding } from './definition';
import type { LocalExecutionStopper } from './execution-stopper';
import { processWide } from './process-wide';

export interface StateEntered {
  readonly releaseId: string;
  readonly state: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly input: unknown;
}

export interface StageTiming {
  readonly state: string;
  readonly durationMs: number;
}

/** How a release ended (from its ledger record) and how it ran (from the interpreter). */
export interface ReleaseReport {
  readonly releaseId: string;
  readonly service: string;
  readonly mode?: string;
  readonly commit?: string;
  readonly status: ReleaseStatus;
  readonly endedAt: StageName | 'unknown';
  readonly reason?: string;
  /** States entered: what Step Functions bills as state transitions. */
  readonly transitions: number;
  /** Time spent in each Task state, in the order they ran. */
  readonly stages: readonly StageTiming[];
  readonly durationMs: number;
  readonly record?: ReleaseRecord;
}

/** The report of a release from its ledger record and what the interpreter counted while it ran. */
export function releaseReport(
  input: Pick<ReleaseRequest, 'releaseId' | 'service'>,
  record: ReleaseRecord | undefined,
  run: Pick<ReleaseReport, 'transitions' | 'stages' | 'durationMs'>,
): ReleaseReport {
  return {
    releaseId: input.releaseId,
    service: input.service,
    ...(record?.mode ? { mode: record.mode } : {}),
    ...(record?.commit ? { commit: record.commit.sha } : {}),
    status: record?.outcome?.status ?? 'failed',
    endedAt: record?.outcome?.stage ?? 'unknown',
    ...(record?.outcome?.reason ? { reason: record.outcome.reason } : {}),
    ...run,
    ...(record ? { record } : {}),
  };
}

export interface ReleaseExecutionOptions {
  readonly definition: AslDefinition;
  /** The state machine's ARN (`$$.StateMachine.Id`; its name ends it). */
  readonly stateMachineArn: string;
  readonly bindings: readonly TaskBinding[];
  readonly input: ReleaseRequest;
  /** Epoch milliseconds: the execution's StartTime. */
  readonly startedAt: number;
  /** Mints the task tokens the handlers receive. */
  readonly broker: LocalTaskBroker;
  /** Canary time compression; retry intervals shrink by it too. */
  readonly timeScale: number;
  readonly taskOverrides: Record<string, (input: unknown) => Promise<unknown>>;
  readonly onStateEntered: (entry: StateEntered) => void;
  readonly log: (line: string) => void;
  /** Where StopExecution finds the run (`sluice cancel`). @default - the run cannot be stopped */
  readonly stopper?: LocalExecutionStopper;
}

/** What the interpreter reported: every state entered counts as a transition; Task states are timed. */
export interface ReleaseExecutionTrace {
  readonly transitions: number;
  readonly stages: readonly StageTiming[];
  readonly end: ExecutionEnd;
}

/** How the execution ended, as DescribeExecution and its status-change event tell it. */
export interface ExecutionEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The interpreter's result rejection, as an execution status: its own aborted and timed-out errors, else FAILED.
 * `stopped`: the error and cause StopExecution gave, which an aborted execution ends with.
 */
export function executionEndOf(
  error: unknown,
  stopped?: { readonly error?: string; readonly cause?: string },
): ExecutionEnd {
  if (error instanceof ExecutionAbortedError) {
    return {
      status: 'ABORTED',
      ...(stopped?.error ? { error: stopped.error } : {}),
      ...(stopped?.cause ? { cause: stopped.cause } : {}),
    };
  }
  if (error instanceof ExecutionTimeoutError)
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out' };
  // ExecutionError wraps the state's error (a Fail state's Error and Cause are its name and message).
  const caught = (error as { cause?: unknown })?.cause ?? error;
  const failure = caught instanceof Error ? caught : new Error(String(caught));
  return { status: 'FAILED', error: failure.name, cause: failure.message };
}

/** Definitions (by content) the interpreter has validated in this process. */
const validDefinitions = processWide('validatedDefinitions', () => new Set<string>());

/**
 * The interpreter's state machine for `definition`, validated (ASL schema, ARNs, paths) the first time this
 * process runs that definition: asl-validator compiles its JSON schemas on every validation (0.2-0.4 s of CPU),
 * and a definition that was valid is valid again. An invalid one is refused every time. The interpreter gets a
 * copy: asl-validator writes the default QueryLanguage into every state of what it is given, which would change
 * the caller's definition, and so its key, after the first run (the same definition validated twice).
 */
function stateMachineOf(definition: AslDefinition): StateMachine {
  const key = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  const machine = new StateMachine(structuredClone(definition) as never, {
    validationOptions: validDefinitions.has(key)
      ? { noValidate: true }
      : { checkArn: true, checkPaths: true },
  });
  validDefinitions.add(key);
  return machine;
}

/**
 * Runs the execution to its end. A failed release ends in a Fail state and does not throw: its outcome is the
 * ledger's to tell.
 */
export async function runReleaseExecution(options: ReleaseExecutionOptions): Promise<ReleaseExecutionTrace> {
  const { input, broker, log } = options;
  const machine = stateMachineOf(options.definition);
  const retryIntervalOverrides = Object.fromEntries(
    options.bindings.map((b) => [b.stateName, 2000 / options.timeScale]),
  );
  const machineName = options.stateMachineArn.split(':').pop();
  const name = executionNameOf(input.releaseId, input.attempt);
  /** The execution's task tokens: once it has ended, none of them resumes anything (AWS: TaskTimedOut). */
  const minted: string[] = [];
  const context = {
    Execution: {
      Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`,
      Name: name,
      Input: input,
      StartTime: new Date(options.startedAt).toISOString(),
      RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/sluice-local`,
    },
    StateMachine: { Id: options.stateMachineArn, Name: machineName },
    // Step Functions gives each task its own token; the interpreter reads this getter once per task.
    get Task() {
      const token = broker.mint();
      minted.push(token);
      return { Token: token };
    },
  };
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: options.taskOverrides as never, retryIntervalOverrides },
    context: context as never,
  });
  const stoppable = options.stopper?.register(name, () => execution.abort());

  let transitions = 0;
  const entered = new Map<string, number>();
  const stages: StageTiming[] = [];
  const taskStates = new Set(options.bindings.map((b) => b.stateName));
  const watch = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        transitions++;
        entered.set(event.state.name, event.timestamp);
        options.onStateEntered({
          releaseId: input.releaseId,
          state: event.state.name,
          at: event.timestamp,
          input: event.state.input,
        });
      } else if (
        (event.type === 'StateExited' || event.type === 'StateFailed') &&
        taskStates.has(event.state.name)
      ) {
        // A caught failure is followed by StateExited: count the state once, as failed.
        if (!entered.has(event.state.name)) continue;
        const durationMs = event.timestamp - (entered.get(event.state.name) ?? event.timestamp);
        entered.delete(event.state.name);
        stages.push({ state: event.state.name, durationMs });
        const mark = event.type === 'StateExited' ? '✓' : '✗';
        log(`${input.releaseId}: ${event.state.name} ${mark} ${(durationMs / 1000).toFixed(1)} s`);
      }
    }
  })();
  let end: ExecutionEnd = { status: 'SUCCEEDED' };
  try {
    await execution.result;
  } catch (error) {
    // A failed release ends in the NotReleased Fail state; its outcome is read from the ledger.
    end = executionEndOf(error, stoppable?.stopped);
  } finally {
    stoppable?.ended();
    for (const token of minted) broker.forget(token);
  }
  await watch.catch(() => undefined);
  return { transitions, stages, end };
}
