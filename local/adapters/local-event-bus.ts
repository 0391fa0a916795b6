import type { PushPublisher } from '../../lambdas/core/ports';
import {
  PUSH_DETAIL_TYPE,
  type PushEvent,
  pushEventSourceOf,
  type RouterEvent,
} from '../../lambdas/core/push-routing';
import type { RouteOutcome } from '../../lambdas/router/router';
import { HANDLER_MODULES } from '../handlers';
import { lambdaContext } from '../lambda-context';

/**
 * The local stand-in for the Sluice event bus and its rules: a push event is delivered, shaped as EventBridge
 * delivers it, to the same router handler module the rules invoke in AWS.
 */
export class LocalEventBus implements PushPublisher {
  async publish(push: PushEvent): Promise<void> {
    await this.route(push);
  }

  /** Publishes and returns what the router did with it. */
  route(push: PushEvent): Promise<RouteOutcome> {
    return this.deliver({
      source: pushEventSourceOf(push),
      'detail-type': PUSH_DETAIL_TYPE,
      detail: push,
    });
  }

  /** Delivers any EventBridge-shaped event (e.g. a CodeCommit state change) to the router. */
  async deliver(event: RouterEvent): Promise<RouteOutcome> {
    return (await HANDLER_MODULES.router.handler(
      { version: '0', id: crypto.randomUUID(), time: new Date().toISOString(), ...event } as never,
      lambdaContext({ handler: 'router' }, 30_000),
    )) as RouteOutcome;
  }
}
