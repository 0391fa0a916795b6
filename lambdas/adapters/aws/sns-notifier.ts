import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ApprovalNotification, Notifier } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

/** SNS subjects must be under 100 characters, printable ASCII, one line. */
const MAX_SUBJECT_LENGTH = 99;

/**
 * One SNS message per approver and channel. Subscriptions carry filter policies on the `approver` and
 * `channel` attributes, so each person receives only their own link (links are approver-bound).
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notification: ApprovalNotification): Promise<void> {
    assertNoTaskToken(notification.link);
    const { release } = notification;
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: approvalSubject(release.service, release.releaseId),
          Message: approvalMessage(notification),
          MessageAttributes: {
            approver: { DataType: 'String', StringValue: notification.approver },
            channel: { DataType: 'String', StringValue: notification.channel },
            service: { DataType: 'String', StringValue: release.service },
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `SNS Publish to ${this.topicArn}`, (name) =>
        name === 'NotFoundException'
          ? new MissingResourceError(
              `Approval topic ${this.topicArn} does not exist; redeploy the Sluice pipeline stack (cdk deploy), ` +
                'which creates it and sets SLUICE_APPROVAL_TOPIC_ARN.',
            )
          : undefined,
      );
    }
  }
}

export function approvalSubject(service: string, releaseId: string): string {
  const ascii = `Approve ${service} ${releaseId}?`.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

export function approvalMessage(n: ApprovalNotification): string {
  const { release } = n;
  const commit = release.commit;
  const firstLine = commit.message.split('\n')[0] ?? '';
  const lines = [
    `${n.approver}, your approval is requested for a production release.`,
    '',
    `Service: ${release.service} (${release.mode})`,
    `Release: ${release.releaseId}`,
    `Commit:  ${commit.sha.slice(0, 12)} by ${commit.author} at ${commit.time}`,
    `         ${firstLine}`,
    `Started: ${release.startedAt} (${release.trigger.source}${release.trigger.actor ? ` by ${release.trigger.actor}` : ''})`,
  ];
  if (n.details.length > 0) lines.push('', ...n.details);
  lines.push(
    '',
    `Review and decide: ${n.link}`,
    '',
    `The link is yours alone, works once, and expires at ${n.expiresAt}.`,
    'Opening it decides nothing: the page shows the release and asks you to approve or reject.',
  );
  return lines.join('\n');
}

/** Defense in depth: a task token in a link would let anyone who sees the email resume the execution. */
function assertNoTaskToken(link: string): void {
  let params: URLSearchParams;
  try {
    params = new URL(link).searchParams;
  } catch {
    throw new Error(`Approval link is not an absolute URL: ${link.slice(0, 200)}`);
  }
  for (const name of params.keys()) {
    if (/task.?token/i.test(name)) {
      throw new Error(
        'Refusing to send an approval link that carries a task token; links carry an approval id.',
      );
    }
  }
}
