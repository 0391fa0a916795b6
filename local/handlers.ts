/**
 * The handler modules the Lambda functions run, by the name in their `Sluice::Handler` metadata. The local
 * runtime builds each one's handler with the module's own `makeHandler`, on its own ports; the type makes a
 * missing one a compile error.
 */
import type { Context } from 'aws-lambda';
import * as alarmEvents from '../lambdas/alarm-events';
import * as approvalApi from '../lambdas/approval-api';
import * as approvalExpiry from '../lambdas/approval-expiry';
import * as build from '../lambdas/build';
import type { Ports } from '../lambdas/core/ports';
import * as deploy from '../lambdas/deploy';
import * as deploymentEvents from '../lambdas/deployment-events';
import * as executionEvents from '../lambdas/execution-events';
import * as githubWebhook from '../lambdas/github-webhook';
import * as loadService from '../lambdas/load-service';
import * as record from '../lambdas/record';
import * as requestApproval from '../lambdas/request-approval';
import * as router from '../lambdas/router';
import * as runTests from '../lambdas/run-tests';
import type { HandlerName } from '../lambdas/runtime/env';
import * as stage from '../lambdas/stage';
import * as testRunner from '../lambdas/test-runner';
import { lambdaContext } from './lambda-context';

export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/** Builds a handler on the given ports (each handler takes the ports it uses from them). */
export type HandlerFactory = (ports: Ports) => LambdaHandler;

export const HANDLER_MODULES: Readonly<Record<HandlerName, { readonly makeHandler: HandlerFactory }>> = {
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
  'execution-events': executionEvents,
  // CloudFormation's custom resource provider: locally the alarms come from the templates' metadata instead.
  'alarm-provider': { makeHandler: () => notRunLocally('alarm-provider') },
  'test-runner': testRunner,
};

/** A handler only AWS runs: invoking it locally is a bug in the runtime, said plainly. */
function notRunLocally(name: HandlerName): LambdaHandler {
  return async () => {
    throw new Error(`${name} runs only in AWS; the local runtime never invokes it`);
  };
}

/** Invokes a handler as Lambda does: the payload, and a context with the function's timeout. */
export type HandlerInvoker = (handler: HandlerName, payload: unknown, timeoutMs: number) => Promise<unknown>;

/**
 * One runtime's handlers. The runtime's ports need pieces that invoke handlers (the web server, the event
 * bus, the expiry timers), so the handlers are built once the ports exist: `bind` them, then `invoke`.
 */
export class LocalHandlers {
  private handlers: Readonly<Record<HandlerName, LambdaHandler>> | undefined;

  /** `wrap` sees every handler as it is built (the benchmark times each invocation). */
  constructor(
    private readonly wrap: (name: HandlerName, handler: LambdaHandler) => LambdaHandler = (_, h) => h,
  ) {}

  bind(ports: Ports): void {
    const built = Object.entries(HANDLER_MODULES).map(([name, module]) => [
      name,
      this.wrap(name as HandlerName, module.makeHandler(ports)),
    ]);
    this.handlers = Object.fromEntries(built) as Record<HandlerName, LambdaHandler>;
  }

  readonly invoke: HandlerInvoker = async (handler, payload, timeoutMs) => {
    if (!this.handlers)
      throw new Error('The local runtime is still starting: its handlers have no ports yet');
    return this.handlers[handler](payload as never, lambdaContext({ handler }, timeoutMs));
  };
}
