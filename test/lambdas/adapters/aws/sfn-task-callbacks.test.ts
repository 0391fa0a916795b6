import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskTokenExpiredError } from '../../../../lambdas/adapters/aws/errors';
import {
  MAX_CAUSE_LENGTH,
  MAX_ERROR_LENGTH,
  SfnTaskCallbacks,
} from '../../../../lambdas/adapters/aws/sfn-task-callbacks';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

const sfn = mockClient(SFNClient);
const callbacks = () => new SfnTaskCallbacks(new SFNClient({}));
const meta = { $metadata: {} };

beforeEach(() => sfn.reset());

describe('SfnTaskCallbacks.succeed', () => {
  it('sends the output as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await callbacks().succeed('token-1', { approvalId: 'a1', decision: 'approved' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({
      taskToken: 'token-1',
      output: '{"approvalId":"a1","decision":"approved"}',
    });
  });

  it('sends null for an undefined output (SendTaskSuccess requires JSON)', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await callbacks().succeed('t', undefined);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output).toBe('null');
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', ...meta })],
    ['InvalidToken', new InvalidToken({ message: 'Invalid token', ...meta })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist', ...meta })],
  ])('turns %s into TaskTokenExpiredError saying the release moved on', async (name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error);
    const thrown = await callbacks()
      .succeed('t', {})
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TaskTokenExpiredError);
    expect((thrown as Error).name).toBe('TaskTokenExpiredError');
    expect((thrown as Error).message).toContain(name);
    expect((thrown as Error).message).toContain('moved on');
  });

  it('maps throttling to TransientError', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(awsError('ThrottlingException'));
    await expect(callbacks().succeed('t', {})).rejects.toBeInstanceOf(TransientError);
  });
});

describe('SfnTaskCallbacks.fail', () => {
  it('sends error and cause as given when within the limits', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await callbacks().fail('token-2', 'ApprovalRejected', 'Rejected by ada@example.com');
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({
      taskToken: 'token-2',
      error: 'ApprovalRejected',
      cause: 'Rejected by ada@example.com',
    });
  });

  it('truncates error to 256 and cause to 32768 characters, marking the cut', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await callbacks().fail('t', 'E'.repeat(1000), 'c'.repeat(100_000));
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toHaveLength(MAX_ERROR_LENGTH);
    expect(input.error?.endsWith('…')).toBe(true);
    expect(input.cause).toHaveLength(MAX_CAUSE_LENGTH);
    expect(input.cause?.startsWith('ccc')).toBe(true);
    expect(MAX_ERROR_LENGTH).toBe(256);
    expect(MAX_CAUSE_LENGTH).toBe(32_768);
  });

  it('turns an expired token into TaskTokenExpiredError', async () => {
    sfn.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', ...meta }));
    await expect(callbacks().fail('t', 'E', 'c')).rejects.toBeInstanceOf(TaskTokenExpiredError);
  });
});
