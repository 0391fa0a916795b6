import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SERVICE_ALARMS } from '../lambdas/core/catalog/types';
import { acknowledgeWildcardResources } from './nag';
import { SluiceFunction } from './sluice-function';

/**
 * The provider's function name. Fixed, so a service stack names it by a formatted ARN (no export: there can be
 * 1,000 service stacks); no service can take it (service functions are `sluice-<lowercase name>`).
 */
export const ALARM_PROVIDER_FUNCTION_NAME = 'SluiceServiceAlarms';

/** The ServiceToken of the alarm provider in `scope`'s account and region (where the pipeline stack runs it). */
export function alarmProviderServiceToken(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: ALARM_PROVIDER_FUNCTION_NAME,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface AlarmProviderProps {
  /** @default - CloudWatch Logs' own encryption at rest */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * The one provider of every service stack's `Custom::SluiceServiceAlarm` (lambdas/alarm-provider): creates a
 * canary alarm when its stack creates it, never rewrites it on update, deletes it with the stack. It lives in the
 * pipeline stack, which is deployed before the service stacks and deleted after them. Its role may write and
 * delete only alarms named like canary alarms, and its own logs.
 */
export class AlarmProvider extends Construct {
  readonly handler: SluiceFunction;

  constructor(scope: Construct, id: string, props: AlarmProviderProps = {}) {
    super(scope, id);
    this.handler = new SluiceFunction(this, 'Handler', {
      handler: 'alarm-provider',
      description:
        'Sluice: creates and deletes the canary alarms of the service stacks (CloudFormation requests)',
      memorySize: 128,
      logEncryptionKey: props.logEncryptionKey,
    });
    // A fixed name: the service stacks' ServiceToken (SluiceFunction leaves names to CloudFormation).
    (this.handler.function.node.defaultChild as lambda.CfnFunction).functionName =
      ALARM_PROVIDER_FUNCTION_NAME;
    const alarms = SERVICE_ALARMS.map((kind) =>
      Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `sluice-*-${kind}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
        resources: alarms,
      }),
    );
    acknowledgeWildcardResources(
      this.handler.role,
      alarms,
      'Services are catalog data, not pipeline resources: the canary alarms of any service stack, named ' +
        'sluice-<service>-<kind>, so the name pattern is the narrowest stable scope.',
    );
  }
}
