import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { type ServiceConfig, serviceAlarmNames } from '../../core/catalog/types';
import { DeploymentFailedError } from '../../core/errors';
import type { ServiceAlarms } from '../../core/ports';
import {
  blocksDeployments,
  judgedVersion,
  type ServiceAlarmDefinition,
  serviceAlarmDefinitions,
  staleAlarmReason,
} from '../../core/service-alarms';
import { mapAwsError } from './errors';
import { sdkDimensions, sdkQuery } from './metric-queries';

/**
 * A service's canary alarms in CloudWatch. Asked by exact name, not by prefix: `sluice-api-` would also match
 * the alarms of a service named `api-admin`. Metric alarms only: DescribeAlarms returns composite alarms only
 * to a caller allowed `cloudwatch:DescribeAlarms` on `*`, and the grant is on the services' alarm ARNs.
 */
export class CloudWatchServiceAlarms implements ServiceAlarms {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async inAlarm(service: ServiceConfig, liveVersion?: string): Promise<string[]> {
    const firing = await this.describe(service, 'ALARM');
    return firing
      .filter((alarm) => blocksDeployments(judgedVersion(alarm), liveVersion))
      .map((alarm) => alarm.AlarmName as string)
      .sort();
  }

  /**
   * Rewrites each alarm the catalog defines to judge `version` (PutMetricAlarm replaces the whole definition
   * and leaves the state alone until the next evaluation, so an ALARM about another version is set to
   * INSUFFICIENT_DATA: see staleAlarmReason). Actions someone added by hand are kept. An alarm
   * that does not exist is created: CodeDeploy stops a deployment whose alarms it cannot read, and this heals a
   * service stack older than its catalog entry (or one whose old alarm resources a stack update deleted).
   */
  async judge(service: ServiceConfig, version: string): Promise<void> {
    const existing = new Map((await this.describe(service)).map((alarm) => [alarm.AlarmName, alarm]));
    const definitions = serviceAlarmDefinitions(service, version);
    for (const definition of definitions) {
      const current = existing.get(definition.AlarmName);
      const input = putMetricAlarmInput(definition, current);
      try {
        await this.cloudWatch.send(new PutMetricAlarmCommand(input));
        const reason = staleAlarmReason(current?.StateValue, current && judgedVersion(current), version);
        if (reason) {
          await this.cloudWatch.send(
            new SetAlarmStateCommand({
              AlarmName: definition.AlarmName,
              StateValue: 'INSUFFICIENT_DATA',
              StateReason: reason,
            }),
          );
        }
      } catch (error) {
        const action = `CloudWatch PutMetricAlarm ${definition.AlarmName} (version ${version})`;
        throw mapAwsError(error, action, (name) =>
          name === 'AccessDenied' || name === 'AccessDeniedException'
            ? new DeploymentFailedError(
                `${action} was refused: the handler's role needs cloudwatch:PutMetricAlarm and SetAlarmState on the service's ` +
                  'alarms (the SluicePipeline stack grants it to Deploy, Record and deployment-events).',
                { cause: error },
              )
            : undefined,
        );
      }
    }
  }

  private async describe(service: ServiceConfig, state?: 'ALARM'): Promise<MetricAlarm[]> {
    const own = serviceAlarmNames(service.name);
    const alarms: MetricAlarm[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await this.cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: own,
            ...(state ? { StateValue: state } : {}),
            AlarmTypes: ['MetricAlarm'],
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        for (const alarm of out.MetricAlarms ?? []) {
          if (alarm.AlarmName && own.includes(alarm.AlarmName)) alarms.push(alarm);
        }
        NextToken = out.NextToken;
      } catch (error) {
        throw mapAwsError(error, `CloudWatch DescribeAlarms ${own.join(', ')}`);
      }
    } while (NextToken);
    return alarms;
  }
}

/** The SDK's input from the definition, with the actions the alarm already has. */
export function putMetricAlarmInput(
  definition: ServiceAlarmDefinition,
  current?: MetricAlarm,
): PutMetricAlarmCommandInput {
  const { Metrics, Dimensions, ...rest } = definition;
  return {
    ...rest,
    ...(Metrics ? { Metrics: Metrics.map(sdkQuery) } : {}),
    ...(Dimensions ? { Dimensions: sdkDimensions(Dimensions) } : {}),
    ...(current?.AlarmActions?.length ? { AlarmActions: current.AlarmActions } : {}),
    ...(current?.OKActions?.length ? { OKActions: current.OKActions } : {}),
    ...(current?.InsufficientDataActions?.length
      ? { InsufficientDataActions: current.InsufficientDataActions }
      : {}),
  };
}
