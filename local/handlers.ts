/**
 * The handler modules the Lambda functions run, by the name in their `Sluice::Handler` metadata. The local
 * runtime invokes exactly these modules; the type makes a missing one a compile error.
 */
import type { Context } from 'aws-lambda';
import * as alarmEvents from '../lambdas/alarm-events';
import * as approvalApi from '../lambdas/approval-api';
import * as approvalExpiry from '../lambdas/approval-expiry';
import * as build from '../lambdas/build';
import * as deploy from '../lambdas/deploy';
import * as deploymentEvents from '../lambdas/deployment-events';
import * as githubWebhook from '../lambdas/github-webhook';
import * as loadService from '../lambdas/load-service';
import * as record from '../lambdas/record';
import * as requestApproval from '../lambdas/request-approval';
import * as router from '../lambdas/router';
import * as runTests from '../lambdas/run-tests';
import type { HandlerName } from '../lambdas/runtime/env';
import * as stage from '../lambdas/stage';
import * as testRunner from '../lambdas/test-runner';

export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

export const HANDLER_MODULES: Record<HandlerName, { handler: LambdaHandler }> = {
  'load-service': loadService,
  build,
  'run-tests': runTests,
  stage,
  'request-approval': requestApproval,
  deploy,
  record,
  'deployment-events': deploymentEvents,
  'approval-api': approvalApi,
  'github-webhook': githubWebhook,
  router,
  'approval-expiry': approvalExpiry,
  'alarm-events': alarmEvents,
  'test-runner': testRunner,
};
