import { randomBytes } from 'node:crypto';
import type { TaskCallbacks } from '../../lambdas/core/ports';

/** The task token is unknown or its task has already ended (Step Functions' TaskTimedOut / InvalidToken). */
export class TaskTokenExpiredError extends Error {
  override readonly name = 'TaskTokenExpiredError';
}

/** The error a paused task fails with: its name is what the state machine's Catch matches. */
export class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Waiter {
  resolve(output: unknown): void;
  reject(error: Error): void;
}

/** Local SendTaskSuccess / SendTaskFailure: task tokens minted per task, resumed by callback, never polled. */
export class LocalTaskBroker implements TaskCallbacks {
  private readonly waiters = new Map<string, Waiter>();

  mint(): string {
    return `local-task-${randomBytes(24).toString('base64url')}`;
  }

  /**
   * Waits for the token's callback; registered before the task's Lambda runs, so no callback is missed. A
   * callback may come while that Lambda still runs (a cancel at the gate: SendTaskFailure is accepted then in
   * AWS too), before the caller awaits this promise: its failure is the task's outcome then, so it is marked
   * handled here instead of surfacing as an unhandled rejection.
   */
  wait(token: string): Promise<unknown> {
    const resumed = new Promise((resolve, reject) => this.waiters.set(token, { resolve, reject }));
    resumed.catch(() => undefined);
    return resumed;
  }

  /** Drops a token whose task ended otherwise (its Lambda failed, or it timed out). */
  forget(token: string): void {
    this.waiters.delete(token);
  }

  get pending(): number {
    return this.waiters.size;
  }

  private take(token: string): Waiter {
    const waiter = this.waiters.get(token);
    if (!waiter) throw new TaskTokenExpiredError('The task token is unknown or its task has already ended');
    this.waiters.delete(token);
    return waiter;
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    // A JSON round trip, as Step Functions stores the output string.
    this.take(taskToken).resolve(JSON.parse(JSON.stringify(output ?? null)));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    this.take(taskToken).reject(new TaskFailure(error.slice(0, 256), cause.slice(0, 32768)));
  }
}
