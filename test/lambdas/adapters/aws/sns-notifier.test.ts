import { NotFoundException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { approvalSubject, SnsNotifier } from '../../../../lambdas/adapters/aws/sns-notifier';
import { TransientError } from '../../../../lambdas/core/errors';
import type { ApprovalNotification } from '../../../../lambdas/core/ports';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:sluice-approvals';
const notifier = () => new SnsNotifier(new SNSClient({}), TOPIC);
const meta = { $metadata: {} };

const notification: ApprovalNotification = {
  approvalId: 'ap-123',
  approver: 'ada@example.com',
  channel: 'email',
  link: 'https://approve.example.com/approvals/ap-123?approver=ada%40example.com&exp=1717000000&sig=abc123',
  expiresAt: '2024-06-01T12:00:00.000Z',
  details: ['Tests: 12 passed, 0 failed', 'Staging smoke: GET /health → 200 in 41 ms'],
  release: {
    releaseId: 'orders-abc123def456',
    service: 'orders',
    mode: 'delivery',
    commit: {
      sha: 'abc123def4567890abc123def4567890abc123de',
      author: 'Grace Hopper <grace@example.com>',
      message: 'Add refunds\n\nbody',
      time: '2024-05-29T10:00:00.000Z',
    },
    startedAt: '2024-05-29T10:01:00.000Z',
    trigger: { source: 'codecommit', actor: 'grace' },
  },
};

beforeEach(() => sns.reset());

describe('SnsNotifier', () => {
  it('publishes one message with approver and channel attributes for the subscription filter policies', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    await notifier().notify(notification);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('Approve orders orders-abc123def456?');
    expect(input.MessageAttributes).toEqual({
      approver: { DataType: 'String', StringValue: 'ada@example.com' },
      channel: { DataType: 'String', StringValue: 'email' },
      service: { DataType: 'String', StringValue: 'orders' },
    });
    const message = input.Message ?? '';
    expect(message).toContain('Release: orders-abc123def456');
    expect(message).toContain('Service: orders (delivery)');
    expect(message).toContain('abc123def456 by Grace Hopper <grace@example.com>');
    expect(message).toContain('Add refunds');
    expect(message).toContain('Tests: 12 passed, 0 failed\nStaging smoke: GET /health → 200 in 41 ms');
    expect(message).toContain(`Review and decide: ${notification.link}`);
    expect(message).toContain('expires at 2024-06-01T12:00:00.000Z');
  });

  it('keeps the subject under 100 printable ASCII characters', () => {
    const subject = approvalSubject('a-very-long-service-name', `r-${'x'.repeat(200)}`);
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
    expect(approvalSubject('café', 'r\n1')).toBe('Approve caf? r?1?');
  });

  it('refuses a link that carries a task token, before calling SNS', async () => {
    await expect(
      notifier().notify({ ...notification, link: 'https://approve.example.com/a?taskToken=AAAA&sig=x' }),
    ).rejects.toThrow(/task token/);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('names a missing topic and maps throttling to TransientError', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(new NotFoundException({ message: 'Topic does not exist', ...meta }))
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', ...meta }));
    const missing = await notifier()
      .notify(notification)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MissingResourceError);
    expect((missing as Error).message).toContain(`Approval topic ${TOPIC} does not exist`);
    await expect(notifier().notify(notification)).rejects.toBeInstanceOf(TransientError);
  });
});
