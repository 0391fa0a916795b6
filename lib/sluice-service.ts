import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEPLOY_STRATEGIES,
  type DeployStrategy,
  LIVE_ALIAS,
  type ServiceConfig,
  serviceResourceName,
} from '../lambdas/core/catalog/types';
import { CanaryAlarms } from './canary-alarms';
import { acknowledge, acknowledgeWildcardResources } from './nag';
import { PostTrafficSmoke } from './post-traffic-smoke';

/** CodeDeploy's predefined configuration for each catalog strategy. */
const DEPLOYMENT_CONFIGS: Record<DeployStrategy, codedeploy.ILambdaDeploymentConfig> = {
  AllAtOnce: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  Canary10Percent5Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  Canary10Percent10Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  Canary10Percent15Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  Canary10Percent30Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  Linear10PercentEvery1Minute: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  Linear10PercentEvery2Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  Linear10PercentEvery3Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  Linear10PercentEvery10Minutes: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/** The CodeDeploy configuration for a catalog strategy; throws naming the value and the allowed ones. */
export function deploymentConfigFor(strategy: string): codedeploy.ILambdaDeploymentConfig {
  const config = (DEPLOYMENT_CONFIGS as Record<string, codedeploy.ILambdaDeploymentConfig | undefined>)[
    strategy
  ];
  if (!Object.hasOwn(DEPLOYMENT_CONFIGS, strategy) || !config) {
    throw new Error(
      `deploy.strategy ${JSON.stringify(strategy)} is not a CodeDeploy Lambda configuration; use one of: ${DEPLOY_STRATEGIES.join(', ')}.`,
    );
  }
  return config;
}

export { LIVE_ALIAS };

export interface SluiceServiceProps {
  /** The service's catalog entry (validated). */
  readonly service: ServiceConfig;
  /**
   * Initial code. Sluice replaces it on the first release (UpdateFunctionCode + CodeDeploy).
   * @default - a small inline placeholder that answers 503 until the first release
   */
  readonly code?: lambda.Code;
  /**
   * Where the canary alarms' state changes go (to ALARM and back to OK), besides rolling the deployment back: an
   * EventBridge rule, since Deploy rewrites the alarms for each version (so they carry no actions of their own).
   * The targets are the caller's: give each its retry policy and dead-letter queue (e.g.
   * `new SnsTopic(topic, { retryAttempts, deadLetterQueue })`), as the pipeline's own targets have.
   * @default - none: the alarms only stop and roll back deployments
   */
  readonly alarmNotifications?: readonly events.IRuleTarget[];
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default - no variables */
  readonly environment?: Record<string, string>;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Put a function URL on the live alias, with the auth type the catalog's `functionUrl.authType` names. Turn it
   * off for a service reached only through API Gateway or event sources: those take `alias`.
   * @default true
   */
  readonly functionUrl?: boolean;
  /**
   * Run the catalog's smoke request against the live alias after all traffic has moved (a CodeDeploy
   * post-traffic hook); a wrong answer fails the deployment and rolls it back.
   * @default false
   */
  readonly postTrafficSmoke?: boolean;
}

/**
 * What one service needs in its own stack to be released by Sluice: the function `sluice-<name>` with a
 * `live` alias, a CodeDeploy application and deployment group that shift the alias as the catalog's strategy
 * says, and the canary alarms (error rate, p99 latency, business) that stop and roll back a bad deployment. The
 * alarms judge one version: the one being deployed (see CanaryAlarms).
 */
export class SluiceService extends Construct {
  readonly function: lambda.Function;
  /** The version the stack publishes once, at creation; the live alias starts on it. */
  readonly initialVersion: lambda.Version;
  /** The live alias: what callers invoke (function URL, API Gateway, event sources). */
  readonly alias: lambda.Alias;
  /** The function URL on the live alias, unless `functionUrl` is false. */
  readonly functionUrl?: lambda.FunctionUrl;
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The canary alarms (error rate, p99 latency, the business alarm if any), created with the stack. */
  readonly canaryAlarms: CanaryAlarms;
  /** The post-traffic smoke hook, when `postTrafficSmoke` is set. */
  readonly postTrafficHook?: PostTrafficSmoke;
  /** The canary alarms, as attached to the deployment group. */
  readonly alarms: readonly cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: SluiceServiceProps) {
    super(scope, id);
    const { service } = props;
    validateService(service);
    const name = serviceResourceName(service.name);

    this.function = this.newFunction(name, props);

    // Not `currentVersion`: its logical id follows the function's configuration, so a stack update after any
    // change (mode in the description, memory, timeout, environment) would publish `$LATEST` — whatever Stage
    // uploaded last, approved or not — and move `live` to it. This version is published once, when the stack is
    // created; every later version is a release (Stage publishes it, CodeDeploy shifts `live` to it).
    this.initialVersion = new lambda.Version(this, 'InitialVersion', {
      lambda: this.function,
      description:
        'The initial code, published when the stack was created; releases publish the next versions',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.initialVersion,
      description: 'Live traffic; shifted by CodeDeploy',
    });

    if (props.functionUrl ?? true) {
      this.functionUrl = this.alias.addFunctionUrl({
        authType:
          service.functionUrl?.authType === 'NONE'
            ? lambda.FunctionUrlAuthType.NONE
            : lambda.FunctionUrlAuthType.AWS_IAM,
      });
    }

    this.canaryAlarms = new CanaryAlarms(this, 'CanaryAlarms', {
      service,
      ...(props.alarmNotifications ? { notifications: props.alarmNotifications } : {}),
    });
    this.alarms = this.canaryAlarms.alarms;

    this.application = new codedeploy.LambdaApplication(this, 'Application', { applicationName: name });
    if (props.postTrafficSmoke) {
      this.postTrafficHook = new PostTrafficSmoke(this, 'PostTrafficSmoke', { service, alias: this.alias });
    }
    this.deploymentGroup = this.newDeploymentGroup(name, deploymentConfigFor(service.deploy.strategy));
  }

  /** The service's function, with a role that may only write its own log group. */
  private newFunction(name: string, props: SluiceServiceProps): lambda.Function {
    const { service } = props;
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: it writes only to this function's log group.
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Sluice service ${service.name}`,
    });
    logGroup.grantWrite(role);

    const fn = new lambda.Function(this, 'Resource', {
      functionName: name,
      description: `Sluice service ${service.name} (${service.mode}); code is released by Sluice`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.X86_64,
      handler: `index.${service.runtime.handler}`,
      code: props.code ?? lambda.Code.fromInline(placeholder(service)),
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      environment: props.environment,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    acknowledge(fn, {
      id: 'AwsSolutions-L1',
      reason:
        "Node.js 22 is the runtime Sluice's build bundles services for (esbuild target node22) and the local " +
        'runtime runs them on; runtime and bundling target move together.',
    });
    return fn;
  }

  /** CodeDeploy shifts `live` by `deploymentConfig`, watched by the canary alarms (created before it). */
  private newDeploymentGroup(
    name: string,
    deploymentConfig: codedeploy.ILambdaDeploymentConfig,
  ): codedeploy.LambdaDeploymentGroup {
    const group = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      deploymentGroupName: name,
      alias: this.alias,
      deploymentConfig,
      alarms: [...this.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      ...(this.postTrafficHook ? { postHook: this.postTrafficHook.function } : {}),
    });
    // The group names the alarms; CodeDeploy needs them to exist before it is given them.
    for (const created of this.canaryAlarms.resources) group.node.addDependency(created);
    if (this.postTrafficHook) {
      acknowledgeWildcardResources(
        group.role,
        [`${this.postTrafficHook.function.functionArn}:*`],
        "CodeDeploy's invoke grant on its post-traffic hook: that one function and its versions, nothing else.",
      );
    }
    acknowledge(group, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        "CodeDeploy's service role for Lambda: the AWS-maintained least-privilege policy for shifting aliases and " +
        'reading alarms during a deployment; AWS updates it as CodeDeploy changes.',
    });
    return group;
  }
}

function validateService(service: ServiceConfig): void {
  const where = `SluiceService ${JSON.stringify(service?.name)}`;
  if (
    !service ||
    typeof service.name !== 'string' ||
    !/^[a-z0-9](?:[a-z0-9-]{0,55}[a-z0-9])?$/.test(service.name)
  ) {
    throw new Error(
      `SluiceService: service.name must be 1-57 lowercase letters, digits and dashes (it names sluice-<name>); ` +
        `received ${JSON.stringify(service?.name)}. Rename the service in the catalog.`,
    );
  }
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(service.runtime?.handler ?? '')) {
    throw new Error(
      `${where}: runtime.handler must be the name of an exported function, e.g. "handler"; received ${JSON.stringify(service.runtime?.handler)}.`,
    );
  }
  const alarms = service.deploy?.alarms;
  for (const [key, value] of [
    ['errorRatePercent', alarms?.errorRatePercent],
    ['p99LatencyMs', alarms?.p99LatencyMs],
  ] as const) {
    if (typeof value !== 'number' || Token.isUnresolved(value) || !(value > 0)) {
      throw new Error(
        `${where}: deploy.alarms.${key} must be a number above 0; received ${JSON.stringify(value)}.`,
      );
    }
  }
  if (alarms.errorRatePercent > 100) {
    throw new Error(
      `${where}: deploy.alarms.errorRatePercent is a percentage (0-100]; received ${alarms.errorRatePercent}.`,
    );
  }
}

function placeholder(service: ServiceConfig): string {
  const body = JSON.stringify(`${service.name} has not been released by Sluice yet.\n`);
  return [
    '// Placeholder until Sluice releases the first version of this service.',
    `exports.${service.runtime.handler} = async () => ({`,
    "  statusCode: 503, headers: { 'content-type': 'text/plain' },",
    `  body: ${body},`,
    '});',
  ].join('\n');
}
