import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, type Size, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HANDLER_NAMES, type HandlerName } from '../lambdas/runtime/env';

/**
 * Modules every handler takes from the nodejs22.x runtime instead of its bundle: the AWS SDK for JavaScript v3,
 * which the runtime ships in full (`@aws-sdk/client-*`, `lib-dynamodb` and their `@smithy` dependencies; AWS's
 * own DynamoDB tutorial runs `@aws-sdk/lib-dynamodb` from the console editor with no package), as CDK's
 * NodejsFunction does by default for Node 18 and later. Pinning: a deployed handler runs the SDK version
 * Lambda's runtime has, which Lambda updates with the runtime, not the version in package-lock.json that the
 * tests and the local runtime use. The handlers call only long-standing SDK operations. Everything else
 * (Powertools, picomatch, fflate, Sluice's own code) is bundled.
 */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = ['@aws-sdk/*'];

/** How every handler is bundled; `npm run bundle-size` measures with the same settings. */
export const HANDLER_BUNDLING = {
  minify: true,
  sourceMap: false,
  target: 'node22',
  format: nodejs.OutputFormat.CJS,
  // The ESM builds of the bundled packages tree-shake better.
  mainFields: ['module', 'main'],
} as const;

/** CloudFormation Metadata key naming the handler module a function runs; the local runtime binds by it. */
export const HANDLER_METADATA_KEY = 'Sluice::Handler';

/** The repository root (the folder above lib/), where lambdas/ and package-lock.json live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface SluiceFunctionProps {
  /** Folder under lambdas/ whose index.ts exports `handler`. */
  readonly handler: HandlerName;
  /** @default - none */
  readonly description?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default - Lambda's default, 512 MiB */
  readonly ephemeralStorageSize?: Size;
  /** @default - no variables */
  readonly environment?: Record<string, string>;
  /** @default - no layers */
  readonly layers?: lambda.ILayerVersion[];
  /**
   * Modules left out of the bundle besides RUNTIME_PROVIDED_MODULES (they must come from a layer).
   * @default - none
   */
  readonly externalModules?: string[];
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default - CloudWatch Logs' own encryption at rest */
  readonly logEncryptionKey?: kms.IKey;
  /** @default RemovalPolicy.DESTROY - the logs hold no release record, the ledger does */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - the repository this construct lives in */
  readonly projectRoot?: string;
  /**
   * Active X-Ray tracing (which grants the role xray:PutTraceSegments and PutTelemetryRecords).
   * @default true
   */
  readonly tracing?: boolean;
}

/**
 * One Sluice handler as a Lambda function. Every handler gets the same runtime, bundling, tracing and an
 * explicit log group, and a role of its own that starts with nothing but writing to that log group.
 */
export class SluiceFunction extends Construct implements iam.IGrantable {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly handlerName: HandlerName;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    super(scope, id);
    if (!(HANDLER_NAMES as readonly string[]).includes(props.handler)) {
      throw new Error(
        `SluiceFunction: handler must be one of ${HANDLER_NAMES.join(', ')}; received ${JSON.stringify(props.handler)}. ` +
          'Add the folder to lambdas/ and its name to HANDLER_NAMES in lambdas/runtime/env.ts.',
      );
    }
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const entry = path.join(projectRoot, 'lambdas', props.handler, 'index.ts');
    if (!fs.existsSync(entry)) {
      throw new Error(
        `SluiceFunction: no handler module at ${entry} for ${JSON.stringify(props.handler)}. ` +
          'Create lambdas/<name>/index.ts exporting `handler`, or pass the right `projectRoot`.',
      );
    }
    if (props.memorySize !== undefined && (props.memorySize < 128 || props.memorySize > 10240)) {
      throw new Error(
        `SluiceFunction ${props.handler}: memorySize must be 128-10240 MB; received ${props.memorySize}.`,
      );
    }
    this.handlerName = props.handler;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write only to this function's log group.
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Sluice ${props.handler} handler`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.function = new nodejs.NodejsFunction(this, 'Resource', {
      entry,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.X86_64,
      description: props.description,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      ephemeralStorageSize: props.ephemeralStorageSize,
      environment: props.environment,
      layers: props.layers,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      bundling: {
        ...HANDLER_BUNDLING,
        mainFields: [...HANDLER_BUNDLING.mainFields],
        externalModules: [...RUNTIME_PROVIDED_MODULES, ...(props.externalModules ?? [])],
      },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22: the handlers are bundled for target node22 and the local runtime and tests run ' +
        'them on the same major; move bundling target and runtime together.',
    });
    if (props.tracing !== false) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level scope.',
      });
    }
  }

  /** Adds an environment variable to the function. */
  addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }
}
