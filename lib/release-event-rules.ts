/**
 * The pipeline stack's rules on AWS's own events: a CodeDeploy deployment that ended resumes its release, and a
 * release execution that ended abnormally is recorded. Each rule is created in the stack's own scope, so its
 * logical id is the one the stack has always had.
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import {
  ABNORMAL_EXECUTION_STATUSES,
  EXECUTION_STATUS_CHANGE,
} from '../lambdas/execution-events/execution-events';
import type { DeadLetters } from './dead-letters';
import { RELEASE_TIMEOUTS, type ReleaseStateMachine } from './release-state-machine';
import type { SluiceFunction } from './sluice-function';

/** The rule that hands each ended CodeDeploy deployment of a sluice-* service to deployment-events. */
export function resumeReleasesOnDeploymentEnd(
  stack: Stack,
  deploymentEvents: SluiceFunction,
  deadLetters: DeadLetters,
): void {
  new events.Rule(stack, 'DeploymentStateChange', {
    description: 'Sluice: a CodeDeploy deployment of a sluice-* service ended; resume its release',
    eventPattern: {
      source: ['aws.codedeploy'],
      detailType: ['CodeDeploy Deployment State-change Notification'],
      detail: {
        state: ['SUCCESS', 'FAILURE', 'STOP'],
        application: events.Match.prefix('sluice-'),
      },
    },
    targets: [
      new targets.LambdaFunction(
        deploymentEvents.function,
        // Deploy's task timeout (3 h) is the backstop: Record then asks CodeDeploy itself.
        deadLetters.targetOptions({
          retryAttempts: 20,
          maxEventAge: Duration.seconds(RELEASE_TIMEOUTS.deploy),
        }),
      ),
    ],
  });
}

/**
 * The rule that hands each release execution that failed, timed out or was stopped to execution-events, which
 * records an outcome Record did not write and frees the production lock.
 */
export function endReleasesOnAbnormalExecutionEnd(
  stack: Stack,
  executionEvents: SluiceFunction,
  releases: ReleaseStateMachine,
  deadLetters: DeadLetters,
): void {
  new events.Rule(stack, 'ExecutionStatusChange', {
    description: 'Sluice: a release execution failed, timed out or was stopped; record it and free its lock',
    eventPattern: {
      source: ['aws.states'],
      detailType: [EXECUTION_STATUS_CHANGE],
      detail: {
        status: [...ABNORMAL_EXECUTION_STATUSES],
        stateMachineArn: [releases.stateMachineArn],
      },
    },
    targets: [
      new targets.LambdaFunction(
        executionEvents.function,
        // The lock waits for this event: retry long (a day), then the dead-letter queue and its alarm.
        deadLetters.targetOptions({ retryAttempts: 185, maxEventAge: Duration.hours(24) }),
      ),
    ],
  });
}
