import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { type ServiceConfig, serviceAlarmNames } from '../../core/catalog/types';
import type { ServiceAlarms } from '../../core/ports';
import { mapAwsError } from './errors';

/**
 * Preflight's view of a service's CloudWatch alarms: those of its own alarm names (the ones its SluiceService
 * construct creates) that are in ALARM now. Asked by exact name, not by prefix: `sluice-api-` would also match
 * the alarms of a service named `api-admin`. Metric alarms only: DescribeAlarms returns composite alarms only
 * to a caller allowed `cloudwatch:DescribeAlarms` on `*`, and the grant is on the services' alarm ARNs.
 */
export class CloudWatchServiceAlarms implements ServiceAlarms {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async inAlarm(service: ServiceConfig): Promise<string[]> {
    const own = serviceAlarmNames(service.name);
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await this.cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: own,
            StateValue: 'ALARM',
            AlarmTypes: ['MetricAlarm'],
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const alarm of out.MetricAlarms ?? []) {
          if (alarm.AlarmName && own.includes(alarm.AlarmName)) names.push(alarm.AlarmName);
        }
        NextToken = out.NextToken;
      } catch (error) {
        throw mapAwsError(error, `CloudWatch DescribeAlarms ${own.join(', ')}`);
      }
    } while (NextToken);
    return names.sort();
  }
}
