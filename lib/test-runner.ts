import { Duration, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/runtime/env';
import { NpmLayer } from './npm-layer';
import { SluiceFunction } from './sluice-function';

export interface TestRunnerProps {
  /** The Test handler: a caller of the runner, which reads its result. */
  readonly test: SluiceFunction;
  /**
   * The Build handler: the other caller, for `npm ci` of a service's dependencies.
   * @default - Test is the only caller
   */
  readonly build?: SluiceFunction;
  /** @default - CloudWatch Logs' own encryption at rest */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * The sandbox for service code: the test-runner function. Its role gets no grant beyond writing its own log
 * group (SluiceFunction's baseline; tracing off, so not even X-Ray), and it has no environment variable. Lambda
 * puts the role's credentials in the runner's environment, where service code can read them: that is why they
 * must be worth nothing. Only the Test handler (its tests) and the Build handler (npm ci) may invoke it, and only
 * this function (no qualifier).
 */
export class TestRunner extends Construct {
  readonly runner: SluiceFunction;
  /** The npm CLI the runner's npm steps use (Build's `npm ci`). */
  readonly npm: NpmLayer;

  constructor(scope: Construct, id: string, props: TestRunnerProps) {
    super(scope, id);
    this.npm = new NpmLayer(this, 'Npm');
    // The construct id 'Function' keeps the runner's logical ids apart from the handlers'.
    this.runner = new SluiceFunction(this, 'Function', {
      handler: 'test-runner',
      description: "Sluice test sandbox: runs a service's tests with no Sluice credential",
      logEncryptionKey: props.logEncryptionKey,
      tracing: false,
      memorySize: 1769, // one full vCPU, as the Test handler
      timeout: Duration.minutes(15),
      ephemeralStorageSize: Size.mebibytes(2048),
      layers: [this.npm.layer],
    });
    for (const caller of props.build ? [props.test, props.build] : [props.test]) {
      caller.addEnvironment(ENV.testRunnerFunctionArn, this.runner.function.functionArn);
      caller.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.runner.function.functionArn],
        }),
      );
    }
  }
}
