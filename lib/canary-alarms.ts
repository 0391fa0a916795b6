import { ArnFormat, type CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../lambdas/core/catalog/types';
import {
  type ServiceAlarmDefinition,
  serviceAlarmDefinitions,
  UNRELEASED_VERSION,
} from '../lambdas/core/service-alarms';

/** CloudFormation Metadata key holding an alarm's definition (PutMetricAlarm input): the local runtime reads it. */
export const ALARM_METADATA_KEY = 'Sluice::ServiceAlarm';

/** The custom resource type that creates a canary alarm. */
export const ALARM_RESOURCE_TYPE = 'Custom::SluiceServiceAlarm';

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
  readonly resources: readonly cr.AwsCustomResource[];

  constructor(scope: Construct, id: string, props: CanaryAlarmsProps) {
    super(scope, id);
    this.definitions = serviceAlarmDefinitions(props.service, UNRELEASED_VERSION);
    const logGroup = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: its logs, and the alarm grants below, nothing else.
    const role = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Sluice: creates and deletes the canary alarms of ${props.service.name}`,
    });
    logGroup.grantWrite(role);
    this.resources = this.definitions.map((definition) => {
      const arn = Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: definition.AlarmName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      const created = new cr.AwsCustomResource(this, definition.AlarmName, {
        resourceType: ALARM_RESOURCE_TYPE,
        onCreate: {
          service: 'CloudWatch',
          action: 'PutMetricAlarm',
          parameters: definition,
          physicalResourceId: cr.PhysicalResourceId.of(definition.AlarmName),
        },
        // No onUpdate: after creation each Deploy rewrites the alarm for its version; CloudFormation never does.
        onDelete: {
          service: 'CloudWatch',
          action: 'DeleteAlarms',
          parameters: { AlarmNames: [definition.AlarmName] },
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
            resources: [arn],
          }),
        ]),
        installLatestAwsSdk: false,
        logGroup,
        role,
      });
      (created.node.findChild('Resource').node.defaultChild as CfnResource).addMetadata(
        ALARM_METADATA_KEY,
        definition,
      );
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
