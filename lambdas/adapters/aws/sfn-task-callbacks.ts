import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../../core/ports';
import { awsErrorMessage, mapAwsError, TaskTokenExpiredError, truncate } from './errors';

/** SendTaskFailure's documented limits. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/** Resumes a paused execution (approval decided, CodeDeploy finished). Task tokens are never logged. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly sfn: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? null) }));
    } catch (error) {
      throw mapError(error, 'SendTaskSuccess');
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: truncate(error, MAX_ERROR_LENGTH),
          cause: truncate(cause, MAX_CAUSE_LENGTH),
        }),
      );
    } catch (sendError) {
      throw mapError(sendError, 'SendTaskFailure');
    }
  }
}

function mapError(error: unknown, action: string): unknown {
  return mapAwsError(error, `Step Functions ${action}`, (name) => {
    switch (name) {
      case 'TaskTimedOut':
      case 'TaskDoesNotExist':
      case 'InvalidToken':
        return new TaskTokenExpiredError(
          `Step Functions refused the task token (${name}: ${awsErrorMessage(error)}): the execution already ` +
            'timed out, was stopped, or received its answer, so this release has moved on without it.',
        );
      default:
        return undefined;
    }
  });
}
