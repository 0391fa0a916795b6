import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ServiceConfig, serviceResourceName } from '../lambdas/core/catalog/types';
import { SMOKE_ENV } from '../lambdas/smoke-hook/smoke-hook';
import { acknowledge } from './nag';
import { HANDLER_METADATA_KEY } from './sluice-function';

/** Lambda's limit on a function name. */
const FUNCTION_NAME_MAX = 64;

/**
 * `CodeDeployHook_sluice-<service>-smoke`: the prefix is what CodeDeploy's managed Lambda role may invoke. A name
 * that would pass Lambda's 64 characters is cut and ends in a hash of the service name, so it stays unique.
 */
export function smokeHookFunctionName(service: string): string {
  const full = `CodeDeployHook_${serviceResourceName(service)}-smoke`;
  if (full.length <= FUNCTION_NAME_MAX) return full;
  const hash = createHash('sha256').update(service).digest('hex').slice(0, 8);
  return `${full.slice(0, FUNCTION_NAME_MAX - hash.length - 1)}-${hash}`;
}

export interface PostTrafficSmokeProps {
  readonly service: ServiceConfig;
  /** The alias the smoke request goes to (the live alias: after the shift it serves the new version). */
  readonly alias: lambda.IAlias;
}

/**
 * A CodeDeploy post-traffic hook for a service: sends the catalog's smoke request to the live alias once all
 * traffic is on the new version and reports the result with PutLifecycleEventHookExecutionStatus, so a
 * failing answer fails the deployment and rolls it back. Named `CodeDeployHook_*`, the prefix CodeDeploy's
 * managed Lambda role may invoke.
 */
export class PostTrafficSmoke extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: PostTrafficSmokeProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Sluice post-traffic smoke hook of ${props.service.name}`,
    });
    logGroup.grantWrite(role);
    const root = path.resolve(__dirname, '..');
    this.function = new nodejs.NodejsFunction(this, 'Resource', {
      functionName: smokeHookFunctionName(props.service.name),
      entry: path.join(root, 'lambdas', 'smoke-hook', 'index.ts'),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: {
        [SMOKE_ENV.service]: props.service.name,
        [SMOKE_ENV.request]: JSON.stringify(props.service.smoke),
      },
      bundling: { minify: true, target: 'node22', mainFields: ['module', 'main'] },
    });
    // Names the handler module, as on every Sluice function (the IAM check reads its code by it).
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, 'smoke-hook');
    props.alias.grantInvoke(role);
    // PutLifecycleEventHookExecutionStatus on the deployment group: the deployment group grants it to its hook.
    acknowledge(this.function, {
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22 like every Sluice handler (bundled for target node22).',
    });
  }
}
