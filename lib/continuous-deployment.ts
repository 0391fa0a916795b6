import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SERVICE_ALARMS } from '../lambdas/core/catalog/types';
import { DeadLetters } from './dead-letters';
import { acknowledgeWildcardResources } from './nag';

export interface ContinuousDeploymentProps {
  /** Stops a service's deployment when one of its alarms goes to ALARM (lambdas/alarm-events). */
  readonly alarmEvents: lambda.IFunction;
  /**
   * Resource names of the services' alarms and deployment groups: every Sluice service resource is named
   * `sluice-<service>`.
   * @default 'sluice-'
   */
  readonly namePrefix?: string;
  /**
   * Where an alarm event goes when alarm-events keeps failing.
   * @default - a DeadLetters of its own
   */
  readonly deadLetters?: DeadLetters;
}

/**
 * The pipeline's side of continuous deployment that does not grow with the number of services: an
 * EventBridge rule that sends every Sluice alarm's change to ALARM to the alarm-events handler, and the grants
 * for preflight (DescribeAlarms) and for stopping a deployment (StopDeployment with rollback).
 */
export class ContinuousDeployment extends Construct {
  readonly alarmRule: events.Rule;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: ContinuousDeploymentProps) {
    super(scope, id);
    this.prefix = props.namePrefix ?? 'sluice-';
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(this.prefix)) {
      throw new Error(
        `ContinuousDeployment: namePrefix must be lowercase letters, digits and dashes; received ${JSON.stringify(this.prefix)}.`,
      );
    }
    this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
      description: `Sluice: a ${this.prefix}* alarm went to ALARM; stop that service's deployment with rollback`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.prefix(this.prefix), state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.LambdaFunction(
          props.alarmEvents,
          // Stopping a bad canary is urgent; after an hour CodeDeploy's own alarm polling has acted anyway.
          (props.deadLetters ?? new DeadLetters(this, 'DeadLetters')).targetOptions({
            retryAttempts: 8,
            maxEventAge: Duration.hours(1),
          }),
        ),
      ],
    });
  }

  /** Preflight: read the state of the services' alarms. */
  grantDescribeAlarms(grantee: iam.IGrantable & { role?: iam.IRole }): iam.Grant {
    const alarms = Stack.of(this).formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${this.prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:DescribeAlarms'],
      resourceArns: [alarms],
    });
    this.acknowledge(grantee, [alarms], 'alarms named sluice-<service>-<kind>');
    return grant;
  }

  /**
   * Point a service's canary alarms at the version being deployed (PutMetricAlarm), and clear an ALARM left about
   * another version (SetAlarmState to INSUFFICIENT_DATA: PutMetricAlarm keeps the state). Only alarms named like a
   * service's canary alarms (`sluice-<service>-error-rate`, `-p99-latency`, `-business`): services are catalog
   * data, so one service's alarms cannot be told apart from another's in this stack; the service stack's own
   * custom resource, which creates them, is scoped to that service's alarm ARNs.
   */
  grantJudgeAlarms(grantee: iam.IGrantable): iam.Grant {
    const alarms = SERVICE_ALARMS.map((kind) =>
      Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `${this.prefix}*-${kind}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:SetAlarmState'],
      resourceArns: alarms,
    });
    this.acknowledge(grantee, alarms, 'canary alarms named sluice-<service>-<kind>');
    return grant;
  }

  /**
   * Read a canary's baseline (GetMetricData over its bake). GetMetricData is authorized on `*` only: the
   * metrics it reads are not resources IAM can name.
   */
  grantReadBaseline(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:GetMetricData'],
      resourceArns: ['*'],
    });
    const role = (grantee as { role?: iam.IRole }).role ?? grantee.grantPrincipal;
    if (role instanceof Construct) {
      acknowledgeWildcardResources(
        role,
        ['*'],
        'cloudwatch:GetMetricData supports no resource-level permissions (a metric is not an IAM resource); ' +
          'Record reads only the canary baseline with it.',
      );
    }
    return grant;
  }

  /** Stop a service's deployment (StopDeployment with autoRollbackEnabled) and read it (GetDeployment). */
  grantStopDeployment(grantee: iam.IGrantable): iam.Grant {
    const groups = Stack.of(this).formatArn({
      service: 'codedeploy',
      resource: 'deploymentgroup',
      resourceName: `${this.prefix}*/${this.prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['codedeploy:StopDeployment', 'codedeploy:GetDeployment'],
      resourceArns: [groups],
    });
    this.acknowledge(grantee, [groups], 'deployment groups named sluice-<service>');
    return grant;
  }

  private acknowledge(grantee: iam.IGrantable, resources: string[], what: string): void {
    const role = (grantee as { role?: iam.IRole }).role ?? grantee.grantPrincipal;
    if (role instanceof Construct) {
      acknowledgeWildcardResources(
        role,
        resources,
        `Services are catalog data, not stack resources: the ${what}, so the name prefix is the narrowest stable scope.`,
      );
    }
  }
}
