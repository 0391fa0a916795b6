/** The local Step Functions task-token callbacks: resumed once, by callback, in either order with the caller. */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTaskBroker, TaskFailure, TaskTokenExpiredError } from '../../../local/adapters/task-broker';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  unhandled.length = 0;
});

/** Lets Node run its unhandled-rejection check, which comes after the microtasks of the current turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LocalTaskBroker', () => {
  it('fails a task whose callback came before its caller awaited it, without an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled);
    const broker = new LocalTaskBroker();
    const token = broker.mint();
    const resumed = broker.wait(token);
    // As a cancel at the gate does while the request-approval Lambda is still running.
    await broker.fail(token, 'ReleaseCancelled', 'wrong commit');
    await nextTurn();
    expect(unhandled).toEqual([]);
    const failure = await resumed.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ name: 'ReleaseCancelled', message: 'wrong commit' });
  });

  it('resumes with the output once, and refuses a second callback for the same token', async () => {
    const broker = new LocalTaskBroker();
    const token = broker.mint();
    const resumed = broker.wait(token);
    await broker.succeed(token, { approved: true, at: new Date(0) });
    await expect(resumed).resolves.toEqual({ approved: true, at: '1970-01-01T00:00:00.000Z' });
    await expect(broker.fail(token, 'Late', 'too late')).rejects.toThrow(TaskTokenExpiredError);
    expect(broker.pending).toBe(0);
  });
});
