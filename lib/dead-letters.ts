import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLettersProps {
  /**
   * Name of the alarm on the queue. Not `sluice-…`: that prefix is the service alarms' (alarm-events reads it).
   * @default `<stack name>-dead-letters`
   */
  readonly alarmName?: string;
  /** @default - no actions: the alarm is there to be seen and subscribed to */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** How an EventBridge rule target retries before its event goes to the dead-letter queue. */
export interface TargetRetry {
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * One encrypted dead-letter queue for every EventBridge target of the pipeline (an alarm going to ALARM, a
 * deployment's end, a push) and for the EventBridge Scheduler approval expiries: an event that runs out of
 * retries is kept for 14 days instead of lost, and an alarm says so. Each message carries the rule (or schedule)
 * and target ARNs and the error in its attributes.
 */
export class DeadLetters extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLettersProps = {}) {
    super(scope, id);
    // SQS-managed keys: EventBridge can send to the queue without a KMS key policy of its own.
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the EventBridge targets (DeadLetterConfig), which cdk-nag does not ' +
        'recognise as a DLQ; a dead letter is read by a person, never redriven automatically.',
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: props.alarmName ?? `${Stack.of(this).stackName}-dead-letters`,
      alarmDescription:
        'Sluice: an EventBridge event (alarm state change, deployment end or push) or an approval expiry ran out of ' +
        "retries; read the queue's messages (RULE_ARN or SCHEDULE_ARN, TARGET_ARN, ERROR_MESSAGE attributes) and act " +
        'on them by hand.',
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmActions?.length) this.alarm.addAlarmAction(...props.alarmActions);
  }

  /** Target options for an EventBridge rule: the retry policy given, then this queue. */
  targetOptions(retry: TargetRetry): {
    readonly deadLetterQueue: sqs.IQueue;
    readonly retryAttempts: number;
    readonly maxEventAge: Duration;
  } {
    return { deadLetterQueue: this.queue, ...retry };
  }
}
