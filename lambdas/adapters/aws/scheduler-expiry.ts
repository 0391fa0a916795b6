import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ExpiryScheduler } from '../../core/ports';
import { awsErrorName, mapAwsError } from './errors';

export interface SchedulerExpiryOptions {
  /** The approval-expiry function the schedule invokes. */
  readonly functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** @default 'default' */
  readonly groupName?: string;
  /**
   * The SQS queue an expiry goes to when Scheduler could not invoke the function after its retries; the role
   * needs sqs:SendMessage on it.
   */
  readonly deadLetterArn: string;
}

/**
 * `at()` takes a UTC wall-clock time without zone or fractions: yyyy-mm-ddThh:mm:ss. Rounded up, so the
 * schedule never fires before the expiry (the handler would find the request not yet due).
 */
export function atExpression(at: Date): string {
  return `at(${new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString().slice(0, 19)})`;
}

/**
 * One one-time EventBridge Scheduler schedule per approval request, deleted after it fires: no poll loop and
 * nothing that grows with the number of services.
 */
export class SchedulerExpiry implements ExpiryScheduler {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly options: SchedulerExpiryOptions,
  ) {}

  async schedule(approvalId: string, at: Date): Promise<void> {
    try {
      await this.scheduler.send(
        new CreateScheduleCommand({
          Name: `sluice-approval-${approvalId}`.slice(0, 64),
          GroupName: this.options.groupName ?? 'default',
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: 'Sluice: expire an approval request left undecided',
          Target: {
            Arn: this.options.functionArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify({ approvalId }),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: this.options.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      // A retried RequestApproval already created it.
      if (awsErrorName(error) === 'ConflictException') return;
      throw mapAwsError(error, 'EventBridge Scheduler CreateSchedule', () => undefined);
    }
  }
}
