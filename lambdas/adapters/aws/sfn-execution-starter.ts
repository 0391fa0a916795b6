import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ReleaseRequest } from '../../core/model';
import type { ExecutionStarter } from '../../core/ports';
import { executionNameOf } from '../../core/push-routing';
import { awsErrorName, mapAwsError } from './errors';

/**
 * StartExecution of the release state machine, named by the release id and attempt (executionNameOf). Step Functions refuses a second
 * execution of the same name (ExecutionAlreadyExists) and answers a repeat with the same input while it runs
 * with the first one's ARN: both mean a duplicate delivery, and both count as success.
 */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(request: ReleaseRequest): Promise<{ status: 'started' | 'duplicate'; executionArn?: string }> {
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionNameOf(request.releaseId, request.attempt),
          input: JSON.stringify(request),
        }),
      );
      return { status: 'started', ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (error) {
      if (awsErrorName(error) === 'ExecutionAlreadyExists') return { status: 'duplicate' };
      throw mapAwsError(
        error,
        `Step Functions StartExecution ${executionNameOf(request.releaseId, request.attempt)}`,
        () => undefined,
      );
    }
  }
}
