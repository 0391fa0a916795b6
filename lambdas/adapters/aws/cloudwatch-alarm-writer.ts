import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmWriter } from '../../alarm-provider/alarm-provider';
import type { ServiceAlarmDefinition } from '../../core/service-alarms';
import { putMetricAlarmInput } from './cloudwatch-service-alarms';
import { awsErrorName, mapAwsError } from './errors';

/** Creates and deletes one canary alarm at a time, for the alarm provider (CloudFormation's requests). */
export class CloudWatchAlarmWriter implements AlarmWriter {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async put(definition: ServiceAlarmDefinition): Promise<void> {
    try {
      await this.cloudWatch.send(new PutMetricAlarmCommand(putMetricAlarmInput(definition)));
    } catch (error) {
      throw mapAwsError(error, `CloudWatch PutMetricAlarm ${definition.AlarmName}`);
    }
  }

  async delete(alarmName: string): Promise<void> {
    try {
      await this.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] }));
    } catch (error) {
      // Already gone (deleted by hand, or never created): the stack's goal is reached.
      if (awsErrorName(error) === 'ResourceNotFound') return;
      throw mapAwsError(error, `CloudWatch DeleteAlarms ${alarmName}`);
    }
  }
}
