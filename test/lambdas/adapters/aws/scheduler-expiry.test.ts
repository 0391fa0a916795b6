import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { atExpression, SchedulerExpiry } from '../../../../lambdas/adapters/aws/scheduler-expiry';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

const scheduler = mockClient(SchedulerClient);
const expiry = () =>
  new SchedulerExpiry(new SchedulerClient({}), {
    functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:expiry',
    roleArn: 'arn:aws:iam::111122223333:role/scheduler',
    groupName: 'SluicePipeline-approvals',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:dead-letters',
  });

beforeEach(() => scheduler.reset());

describe('SchedulerExpiry', () => {
  it('creates a one-time schedule at the expiry that invokes the handler with the approval id, retries into the dead-letter queue, then deletes itself', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await expiry().schedule('AbCdEf0123456789xyz', new Date('2026-03-05T10:00:00.123Z'));
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual({
      Name: 'sluice-approval-AbCdEf0123456789xyz',
      GroupName: 'SluicePipeline-approvals',
      ScheduleExpression: 'at(2026-03-05T10:00:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: 'Sluice: expire an approval request left undecided',
      Target: {
        Arn: 'arn:aws:lambda:eu-west-1:111122223333:function:expiry',
        RoleArn: 'arn:aws:iam::111122223333:role/scheduler',
        Input: '{"approvalId":"AbCdEf0123456789xyz"}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86400 },
        // An expiry Scheduler could not deliver is kept (and alarmed), not lost.
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:111122223333:dead-letters' },
      },
    });
  });

  it('treats an existing schedule of the same name (a retried request) as done', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await expect(expiry().schedule('id-1234567890', new Date())).resolves.toBeUndefined();
  });

  it('maps throttling to TransientError so the state machine retries', async () => {
    scheduler.on(CreateScheduleCommand).rejects(awsError('ThrottlingException', { status: 429 }));
    await expect(expiry().schedule('id-1234567890', new Date())).rejects.toBeInstanceOf(TransientError);
  });

  it('renders at() without zone or fractions, rounded up so it never fires early', () => {
    expect(atExpression(new Date('2026-12-31T23:59:59.001Z'))).toBe('at(2027-01-01T00:00:00)');
    expect(atExpression(new Date('2026-12-31T23:59:59.000Z'))).toBe('at(2026-12-31T23:59:59)');
  });
});
