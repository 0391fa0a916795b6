/**
 * The local runtime's StopExecution: each running execution, by execution name, with a way to abort it. Stopping
 * one aborts the ASL interpreter's run (aws-local-stepfunctions' abort()), so the execution ends ABORTED with the
 * stop's error and cause, and its status-change event reaches execution-events, as in Step Functions.
 */
import type { ExecutionStopper } from '../lambdas/core/ports';

/** The error and cause a stopped execution ends with (StopExecution's `error` and `cause`). */
export interface StopReason {
  readonly error: string;
  readonly cause: string;
}

/** A running execution as its runner sees it: whether it was stopped, and a way to say it has ended. */
export interface StoppableExecution {
  readonly stopped: StopReason | undefined;
  ended(): void;
}

/** Step Functions' ExecutionDoesNotExist: no execution of that name was ever started. */
export class ExecutionDoesNotExistError extends Error {
  override readonly name = 'ExecutionDoesNotExist';
}

interface Running {
  stopped?: StopReason;
  readonly abort: () => void;
}

export class LocalExecutionStopper implements ExecutionStopper {
  private readonly running = new Map<string, Running>();
  private readonly started = new Set<string>();

  /** Makes the execution `name` stoppable (through `abort`) until its runner calls `ended()`. */
  register(name: string, abort: () => void): StoppableExecution {
    const entry: Running = { abort };
    this.started.add(name);
    this.running.set(name, entry);
    return {
      get stopped() {
        return entry.stopped;
      },
      ended: () => {
        if (this.running.get(name) === entry) this.running.delete(name);
      },
    };
  }

  /** Whether the execution `name` runs now. */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  async stop(name: string, error: string, cause: string): Promise<void> {
    if (!this.started.has(name))
      throw new ExecutionDoesNotExistError(`Execution ${name} does not exist in the local runtime`);
    const entry = this.running.get(name);
    // An execution that has ended, or is stopping already, is left as it is.
    if (!entry || entry.stopped) return;
    entry.stopped = { error, cause };
    entry.abort();
  }
}
