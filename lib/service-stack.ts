import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ServiceConfig } from '../lambdas/core/catalog/types';
import { pinLogicalIds } from './logical-ids';
import { SluiceService } from './sluice-service';
import { templateNamedAfter } from './template-validation';

export interface SluiceServiceStackProps extends StackProps {
  readonly service: ServiceConfig;
  /** @default - a placeholder answering 503 until the first release */
  readonly code?: lambda.Code;
  /** Where the canary alarms' state changes go. @default - none: the alarms only stop and roll back deployments */
  readonly alarmNotifications?: readonly events.IRuleTarget[];
}

/** One service's own stack: its function, live alias, deployment group and canary alarms. */
export class SluiceServiceStack extends Stack {
  readonly service: SluiceService;

  constructor(scope: Construct, id: string, props: SluiceServiceStackProps) {
    super(scope, id, props);
    // Every service stack is this construct around a catalog entry: validate each distinct template once.
    templateNamedAfter(this, props.service.name);
    this.service = new SluiceService(this, 'Service', {
      service: props.service,
      code: props.code,
      ...(props.alarmNotifications ? { alarmNotifications: props.alarmNotifications } : {}),
    });
    new CfnOutput(this, 'FunctionName', { value: this.service.function.functionName });
    new CfnOutput(this, 'DeploymentGroupName', { value: this.service.deploymentGroup.deploymentGroupName });
    if (this.service.functionUrl) {
      new CfnOutput(this, 'FunctionUrl', {
        description: `The live alias of ${props.service.name} (auth ${this.service.functionUrl.authType})`,
        value: this.service.functionUrl.url,
      });
    }
    // The stack is complete: each element's logical ID is computed once here, not at every reference to it.
    pinLogicalIds(this);
  }
}
