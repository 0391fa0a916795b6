import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStopper } from '../../core/ports';
import { mapAwsError } from './errors';

/**
 * StopExecution of a release state machine's execution, found by its name: an execution's ARN is the state
 * machine's with `execution` for `stateMachine` and the name appended.
 */
export class SfnExecutionStopper implements ExecutionStopper {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  executionArnOf(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  async stop(name: string, error: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(
        new StopExecutionCommand({
          executionArn: this.executionArnOf(name),
          error: error.slice(0, 256),
          cause: cause.slice(0, 32768),
        }),
      );
    } catch (failure) {
      throw mapAwsError(failure, `Step Functions StopExecution ${name}`, () => undefined);
    }
  }
}
