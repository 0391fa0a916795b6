/**
 * The local EventBridge: the buses and rules of the synthesized pipeline template, nothing else. An event reaches
 * a handler only when an enabled rule on its bus matches it (the rule's EventPattern, as EventBridge evaluates it),
 * and the handler receives what the target's Input, InputPath or InputTransformer makes of it. AWS services'
 * events (CodeCommit, CodeDeploy, CloudWatch) arrive on the default bus; normalized pushes on the bus the GitHub
 * webhook publishes to.
 */
import { randomUUID } from 'node:crypto';
import { defined } from '../../lambdas/core/defined';
import { type Clock, type PushPublisher, systemClock } from '../../lambdas/core/ports';
import { type PushEvent, pushEventEntry } from '../../lambdas/core/push-routing';
import type { RouteOutcome } from '../../lambdas/router/router';
import { ENV, type HandlerName } from '../../lambdas/runtime/env';
import {
  busNameOf,
  DEFAULT_EVENT_BUS,
  type EventRule,
  eventBusNameOf,
  type RuleTarget,
  readEventRules,
} from '../aws/eventbridge/rules';
import { InputTransformationError } from '../aws/eventbridge/target-input';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, lambdaHandlersOf } from '../definition';
import type { HandlerInvoker } from '../handlers';

/** An event as EventBridge delivers it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** A PutEvents request entry. */
export interface PutEventsEntry {
  /** A bus name or ARN. @default 'default' */
  readonly EventBusName?: string;
  readonly Source?: string;
  readonly DetailType?: string;
  /** A JSON object, as text. */
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: Date;
}

/** One rule target invoked with one event. */
export interface Delivery {
  readonly rule: string;
  readonly targetId: string;
  readonly handler: HandlerName;
  /** What the handler returned. */
  readonly result?: unknown;
  /** Why the delivery failed (the input could not be built, or the handler threw). */
  readonly error?: Error;
}

export interface PutEventsResultEntry {
  readonly eventId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly deliveries: readonly Delivery[];
}

/** A rule target failed: in AWS, EventBridge would retry it per the target's retry policy. */
export class EventDeliveryError extends Error {
  override readonly name = 'EventDeliveryError';
}

export type { HandlerInvoker } from '../handlers';

export interface LocalEventBusOptions {
  /** Invokes the handler a target's function runs, as Lambda does for EventBridge (the runtime's own handlers). */
  readonly invoke: HandlerInvoker;
  /** Stamps events and their ingestion time. @default systemClock */
  readonly clock?: Clock;
  /** Failed deliveries are reported here (EventBridge would retry them). @default - silent */
  readonly log?: (line: string) => void;
}

interface BoundTarget {
  readonly target: RuleTarget;
  readonly handler: HandlerName;
  readonly timeoutMs: number;
}

interface BoundRule {
  readonly rule: EventRule;
  readonly targets: readonly BoundTarget[];
}

/** Lambda's default timeout when the function sets none. */
const DEFAULT_LAMBDA_TIMEOUT_S = 3;

/** ISO 8601 without milliseconds, as EventBridge writes `time`. */
function eventTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class LocalEventBus implements PushPublisher {
  private readonly invoke: HandlerInvoker;
  private readonly clock: Clock;

  private constructor(
    private readonly rules: readonly BoundRule[],
    private readonly buses: ReadonlySet<string>,
    /** Where normalized pushes are published: the GitHub webhook's SLUICE_EVENT_BUS_NAME. */
    readonly pushBusName: string,
    private readonly options: LocalEventBusOptions,
  ) {
    this.invoke = options.invoke;
    this.clock = options.clock ?? systemClock;
  }

  /** The buses and rules of a synthesized template, each rule target bound to the handler its function runs. */
  static fromTemplate(template: CfnTemplate, options: LocalEventBusOptions): LocalEventBus {
    const handlers = lambdaHandlersOf(template);
    const rules = readEventRules(template).map((rule) => ({
      rule,
      targets: rule.targets.map((target) => {
        const handler = handlers.get(target.functionLogicalId);
        if (!handler) {
          throw new Error(
            `Rule ${rule.logicalId} targets ${target.functionLogicalId}, which has no Sluice::Handler metadata`,
          );
        }
        const timeout = template.Resources[target.functionLogicalId]?.Properties?.Timeout;
        return {
          target,
          handler,
          timeoutMs: (typeof timeout === 'number' ? timeout : DEFAULT_LAMBDA_TIMEOUT_S) * 1000,
        };
      }),
    }));
    const buses = new Set([DEFAULT_EVENT_BUS]);
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::Events::EventBus') buses.add(eventBusNameOf({ Ref: logicalId }, template));
    }
    return new LocalEventBus(rules, buses, pushBusOf(template), options);
  }

  /** The rules, as read from the template (for reports and tests). */
  get eventRules(): readonly EventRule[] {
    return this.rules.map((r) => r.rule);
  }

  /**
   * PutEvents: each valid entry becomes an event on its bus and is delivered to every matching rule's targets.
   * Resolves once every delivery has ended (locally nothing is left in flight); a failed delivery is in the entry's
   * `deliveries`, not a failed entry, as in AWS.
   */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResultEntry[]> {
    return Promise.all(
      entries.map(async (entry): Promise<PutEventsResultEntry> => {
        const refused = (errorCode: string, errorMessage: string) => ({
          errorCode,
          errorMessage,
          deliveries: [],
        });
        const busName = entry.EventBusName ? busNameOf(entry.EventBusName) : DEFAULT_EVENT_BUS;
        if (!this.buses.has(busName))
          return refused('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
        if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
          return refused('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
        }
        // Only AWS services publish with an aws.* source.
        if (entry.Source.startsWith('aws.')) {
          return refused('NotAuthorizedForSourceException', `Not authorized for the source ${entry.Source}.`);
        }
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return refused('MalformedDetail', 'Detail is malformed.');
        }
        if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
          return refused('MalformedDetail', 'Detail is malformed.');
        }
        const event: BusEvent = {
          version: '0',
          id: randomUUID(),
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: LOCAL_ACCOUNT,
          time: eventTime(entry.Time ?? this.clock.now()),
          region: LOCAL_REGION,
          resources: entry.Resources ?? [],
          detail,
        };
        return { eventId: event.id, deliveries: await this.deliver(busName, event) };
      }),
    );
  }

  /** An AWS service's event (CodeCommit, CodeDeploy, CloudWatch): services send theirs to the default bus. */
  emit(event: BusEvent): Promise<Delivery[]> {
    return this.deliver(DEFAULT_EVENT_BUS, event);
  }

  /** The webhook's and the watcher's PutEvents of a push. A failed delivery is logged, as EventBridge retries it. */
  async publish(push: PushEvent): Promise<void> {
    const result = await this.putPush(push);
    if (result.errorCode) {
      throw new EventDeliveryError(`PutEvents refused the push: ${result.errorCode}: ${result.errorMessage}`);
    }
  }

  /**
   * Publishes a push and returns what the router targets did with it; throws when one failed, so the local git
   * watcher looks at the push again (as EventBridge would retry the target).
   */
  async route(push: PushEvent): Promise<RouteOutcome> {
    const result = await this.putPush(push);
    if (result.errorCode) {
      throw new EventDeliveryError(`PutEvents refused the push: ${result.errorCode}: ${result.errorMessage}`);
    }
    return routeOutcomeOf(result.deliveries, `no rule on ${this.pushBusName} matched the push`);
  }

  /** PutEvents of one push: one entry in, its one result out. */
  private async putPush(push: PushEvent): Promise<PutEventsResultEntry> {
    const [result] = await this.putEvents([{ EventBusName: this.pushBusName, ...pushEventEntry(push) }]);
    return defined(result, 'the PutEvents result of the push');
  }

  private async deliver(busName: string, event: BusEvent): Promise<Delivery[]> {
    const ingestionTime = eventTime(this.clock.now());
    const matched = this.rules.filter(
      ({ rule }) => rule.busName === busName && rule.enabled && rule.pattern.matches(event),
    );
    const deliveries = matched.flatMap(({ rule, targets }) =>
      targets.map(async ({ target, handler, timeoutMs }): Promise<Delivery> => {
        const delivery = { rule: rule.name, targetId: target.id, handler };
        try {
          const text = target.input.payload(event as unknown as Record<string, unknown>, {
            ruleArn: rule.arn,
            ruleName: rule.name,
            ingestionTime,
          });
          const result = await this.invoke(handler, lambdaPayload(text, rule, target), timeoutMs);
          return { ...delivery, result };
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.options.log?.(
            `event ${event.source} / ${event['detail-type']} → rule ${rule.name} → ${handler} failed: ${failure.message}`,
          );
          return { ...delivery, error: failure };
        }
      }),
    );
    return Promise.all(deliveries);
  }
}

/** Lambda's Invoke takes a JSON document: a target input that is not one cannot be delivered to a function. */
function lambdaPayload(text: string, rule: EventRule, target: RuleTarget): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputTransformationError(
      `Rule ${rule.name} target ${target.id}: the input is not JSON, which a Lambda function cannot receive: ${text.slice(0, 200)}`,
    );
  }
}

/** The router targets' outcome of a push; a failed router delivery throws. */
export function routeOutcomeOf(deliveries: readonly Delivery[], unmatched: string): RouteOutcome {
  const failed = deliveries.find((d) => d.error);
  if (failed) {
    throw new EventDeliveryError(
      `rule ${failed.rule} could not deliver to ${failed.handler}: ${failed.error?.message}`,
    );
  }
  const outcomes = deliveries.filter((d) => d.handler === 'router').map((d) => d.result as RouteOutcome);
  if (outcomes.length === 0) return { releases: [], ignored: unmatched };
  if (outcomes.length === 1 && outcomes[0]) return outcomes[0];
  return {
    releases: outcomes.flatMap((o) => o.releases),
    ...(outcomes.every((o) => o.ignored) ? { ignored: outcomes.map((o) => o.ignored).join('; ') } : {}),
  };
}

/** The bus the GitHub webhook puts pushes on: its SLUICE_EVENT_BUS_NAME environment variable. */
function pushBusOf(template: CfnTemplate): string {
  const handlers = lambdaHandlersOf(template);
  for (const [logicalId, handler] of handlers) {
    if (handler !== 'github-webhook') continue;
    const environment = template.Resources[logicalId]?.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    const bus = environment?.Variables?.[ENV.eventBusName];
    if (bus !== undefined) return eventBusNameOf(bus, template);
  }
  throw new Error(
    `The template's github-webhook function has no ${ENV.eventBusName}: there is no bus to publish pushes to`,
  );
}
