import { type CfnResource, CustomResource, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { ALARM_PROPERTY } from '../lambdas/alarm-provider/alarm-provider';
import type { ServiceConfig } from '../lambdas/core/catalog/types';
import {
  type ServiceAlarmDefinition,
  serviceAlarmDefinitions,
  UNRELEASED_VERSION,
} from '../lambdas/core/service-alarms';
import { alarmProviderServiceToken } from './alarm-provider';

/** CloudFormation Metadata key holding an alarm's definition (PutMetricAlarm input): the local runtime reads it. */
export const ALARM_METADATA_KEY = 'Sluice::ServiceAlarm';

/** The custom resource type that creates a canary alarm. */
export const ALARM_RESOURCE_TYPE = 'Custom::SluiceServiceAlarm';

/**
 * How long CloudFormation waits for the provider's answer. It answers within its 30-second timeout, FAILED on
 * any error; if it crashed before answering, Lambda's asynchronous retries (about 3 minutes) answer or this
 * fails the operation: not CloudFormation's default hour.
 */
export const ALARM_REQUEST_TIMEOUT = Duration.minutes(10);

/**
 * The alarm definitions a synthesized service template creates (each custom resource's Metadata), in the order
 * of the template: what the local CloudWatch evaluates until a Deploy rewrites them.
 */
export function alarmDefinitionsInTemplate(template: {
  readonly Resources?: Readonly<
    Record<string, { readonly Type?: string; readonly Metadata?: Record<string, unknown> }>
  >;
}): ServiceAlarmDefinition[] {
  return Object.values(template.Resources ?? {})
    .filter((resource) => resource.Type === ALARM_RESOURCE_TYPE)
    .map((resource) => resource.Metadata?.[ALARM_METADATA_KEY] as ServiceAlarmDefinition)
    .filter((definition) => definition !== undefined);
}

export interface CanaryAlarmsProps {
  /** The service's catalog entry (validated). */
  readonly service: ServiceConfig;
  /**
   * Where the alarms' state changes go (to ALARM and back to OK), through an EventBridge rule.
   * @default - none: the alarms only stop and roll back deployments
   */
  readonly notifications?: readonly events.IRuleTarget[];
}

/**
 * A service's canary alarms, created once when the stack is created, from the one definition in
 * lambdas/core/service-alarms.ts, judging no version yet (`unreleased`). The Deploy handler points them at each
 * version it deploys (PutMetricAlarm) before CreateDeployment, so the stack does not own their definitions:
 * a stack update never rewrites them (no drift fight), and they exist before the deployment group names them.
 */
export class CanaryAlarms extends Construct {
  /** The alarms, by name, for the deployment group. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** What the stack creates, judging `unreleased`. */
  readonly definitions: readonly ServiceAlarmDefinition[];
  /** The custom resources that create them; whatever names the alarms depends on these. */
  readonly resources: readonly CustomResource[];

  constructor(scope: Construct, id: string, props: CanaryAlarmsProps) {
    super(scope, id);
    this.definitions = serviceAlarmDefinitions(props.service, UNRELEASED_VERSION);
    // The pipeline stack's one provider (lib/alarm-provider.ts), named by ARN: no provider function, role or
    // log group per service stack, and no export for a thousand stacks to import.
    const serviceToken = alarmProviderServiceToken(this);
    this.resources = this.definitions.map((definition) => {
      const created = new CustomResource(this, definition.AlarmName, {
        resourceType: ALARM_RESOURCE_TYPE,
        serviceToken,
        // CloudFormation passes property values as strings: the definition travels as JSON, numbers intact.
        properties: { [ALARM_PROPERTY]: JSON.stringify(definition) },
        serviceTimeout: ALARM_REQUEST_TIMEOUT,
      });
      (created.node.defaultChild as CfnResource).addMetadata(ALARM_METADATA_KEY, definition);
      return created;
    });
    this.alarms = this.definitions.map((definition) =>
      cloudwatch.Alarm.fromAlarmName(this, `${definition.AlarmName}Ref`, definition.AlarmName),
    );
    if (props.notifications?.length) {
      new events.Rule(this, 'StateChange', {
        description: `Sluice: a canary alarm of ${props.service.name} changed state`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: {
            alarmName: this.definitions.map((d) => d.AlarmName),
            state: { value: ['ALARM', 'OK'] },
          },
        },
        targets: [...props.notifications],
      });
    }
  }
}
