import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { type ServiceConfig, serviceResourceName } from '../../core/catalog/types';
import type { ServiceAlarms } from '../../core/ports';
import { mapAwsError } from './errors';

/**
 * Preflight's view of a service's CloudWatch alarms: every alarm named `sluice-<service>-…` (the ones its
 * SluiceService construct creates) that is in ALARM now.
 */
export class CloudWatchServiceAlarms implements ServiceAlarms {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async inAlarm(service: ServiceConfig): Promise<string[]> {
    const prefix = `${serviceResourceName(service.name)}-`;
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await this.cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: prefix,
            StateValue: 'ALARM',
            // Metric alarms only: composite results need DescribeAlarms granted on `*` (its API reference),
            // and every alarm SluiceService creates is a metric alarm.
            AlarmTypes: ['MetricAlarm'],
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const alarm of out.MetricAlarms ?? []) {
          if (alarm.AlarmName) names.push(alarm.AlarmName);
        }
        NextToken = out.NextToken;
      } catch (error) {
        throw mapAwsError(error, `CloudWatch DescribeAlarms ${prefix}*`);
      }
    } while (NextToken);
    return names.sort();
  }
}
