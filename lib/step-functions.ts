/**
 * The pipeline stack's step and event handler functions (all but the triggers'), with their descriptions,
 * sizes and environment. Their construct ids make the logical ids, a contract with deployed stacks.
 */
import { Duration, Size, type Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { ENV, type HandlerName } from '../lambdas/runtime/env';
import { EsbuildLayer } from './esbuild-layer';
import type { StepHandlerName } from './ledger-table';
import { STAGE_LAMBDA_TIMEOUT_SECONDS } from './release-state-machine';
import { SluiceFunction, type SluiceFunctionProps } from './sluice-function';

/** What the step handlers are given names of (environment) or encrypt with. */
export interface StepFunctionsProps {
  readonly logEncryptionKey: kms.IKey;
  readonly ledgerTableName: string;
  readonly artifactBucket: s3.IBucket;
  readonly catalogAsset: s3assets.Asset;
  readonly signingSecret: secretsmanager.ISecret;
  readonly approvalTopic: sns.ITopic;
}

/** Creates the step handler functions (and the esbuild layer Build and Test use) directly in `stack`. */
export function createStepFunctions(
  stack: Stack,
  props: StepFunctionsProps,
): Record<StepHandlerName, SluiceFunction> {
  const layer = new EsbuildLayer(stack, 'EsbuildLayer').layer;
  const fn = (
    handler: HandlerName,
    options: Omit<SluiceFunctionProps, 'handler'> = {},
    // The construct id makes the logical ids, a contract with deployed stacks: 'Test' predates run-tests.
    id = pascal(handler),
  ) =>
    new SluiceFunction(stack, id, {
      handler,
      logEncryptionKey: props.logEncryptionKey,
      ...options,
      environment: { [ENV.tableName]: props.ledgerTableName, ...options.environment },
    });
  const heavy: Omit<SluiceFunctionProps, 'handler'> = {
    memorySize: 1769, // one full vCPU
    timeout: Duration.minutes(15),
    ephemeralStorageSize: Size.mebibytes(2048),
    layers: [layer],
    externalModules: ['esbuild'],
  };
  const artifactEnv = { [ENV.artifactBucket]: props.artifactBucket.bucketName };
  return {
    'load-service': fn('load-service', {
      description: 'Sluice LoadService: reads the catalog entry and resolves the commit',
      timeout: Duration.seconds(60),
      environment: {
        [ENV.catalogBucket]: props.catalogAsset.s3BucketName,
        [ENV.catalogKey]: props.catalogAsset.s3ObjectKey,
      },
    }),
    build: fn('build', {
      description: 'Sluice Build: checks out the commit and bundles the service',
      environment: artifactEnv,
      ...heavy,
    }),
    'run-tests': fn(
      'run-tests',
      { description: "Sluice Test: runs the service's tests on a fresh checkout", ...heavy },
      'Test',
    ),
    stage: fn('stage', {
      description: 'Sluice Stage: publishes a version and smoke-tests it',
      // The code-update wait, then PublishVersion, the staging alias and one smoke request.
      timeout: Duration.seconds(STAGE_LAMBDA_TIMEOUT_SECONDS),
      environment: artifactEnv,
    }),
    'request-approval': fn('request-approval', {
      description: 'Sluice RequestApproval: stores the task token and sends signed links',
      environment: {
        [ENV.signingSecretArn]: props.signingSecret.secretArn,
        [ENV.approvalTopicArn]: props.approvalTopic.topicArn,
      },
    }),
    deploy: fn('deploy', {
      description: 'Sluice Deploy: starts the CodeDeploy deployment and parks the task token',
      timeout: Duration.seconds(60),
      // LambdaCodeDeployTarget takes the bucket name; Deploy itself reads no artifact.
      environment: artifactEnv,
    }),
    record: fn('record', { description: 'Sluice Record: writes the outcome to the ledger' }),
    'deployment-events': fn('deployment-events', {
      description: 'Sluice: resumes the release when its CodeDeploy deployment ends',
    }),
    'approval-api': fn('approval-api', {
      description: 'Sluice approval page: shows the release, takes the decision (POST only)',
      timeout: Duration.seconds(10),
      environment: { [ENV.signingSecretArn]: props.signingSecret.secretArn },
    }),
    'approval-expiry': fn('approval-expiry', {
      description: 'Sluice: ends an approval request left undecided at its expiry',
      timeout: Duration.seconds(30),
    }),
    'alarm-events': fn('alarm-events', {
      description: "Sluice: a service alarm fired; stop that service's deployment with rollback at once",
      timeout: Duration.seconds(30),
    }),
    'execution-events': fn('execution-events', {
      description:
        'Sluice: a release execution failed, timed out or was stopped; record it and free its lock',
      timeout: Duration.seconds(60),
    }),
  };
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
