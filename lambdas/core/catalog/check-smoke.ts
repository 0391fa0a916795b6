/**
 * The catalog's smoke check (`smoke`) and canary traffic (`deploy.traffic`): HTTP requests for a function URL
 * handler, or events invoked directly for an event-driven one (SQS, EventBridge, schedules…). A service is one
 * or the other, so its traffic must be of the same kind as its smoke check.
 */
import { type Checker, childPath, describeValue, isObject, kindOf } from './checker';
import { CATALOG_DEFAULTS, SMOKE_METHODS } from './constants';
import {
  isEventSmoke,
  type JsonObject,
  type SmokeConfig,
  type TrafficEntry,
  type TrafficRequest,
} from './types';

const HTTP_SMOKE_KEYS = ['path', 'method', 'expectStatus'] as const;
const EVENT_SMOKE_KEYS = ['event', 'expect'] as const;
const TRAFFIC_KEYS = ['method', 'path', 'body', 'event'] as const;

/**
 * The smoke check travels in the post-traffic hook's environment, and Lambda allows 4 KB for all of a function's
 * environment variables together: the check's JSON keeps to 3 KB, leaving room for the others.
 */
export const MAX_SMOKE_JSON = 3072;
/** Each traffic event rides in every state of the release document (Step Functions allows 256 KB in all). */
export const MAX_TRAFFIC_EVENT_JSON = 4096;

const EVENT_EXAMPLE = '{ "Records": [{ "messageId": "smoke-1", "body": "{}" }] }';

export function checkSmoke(c: Checker, value: unknown, path: string): SmokeConfig {
  const o = c.object(value, path, [...HTTP_SMOKE_KEYS, ...EVENT_SMOKE_KEYS], undefined) ?? {};
  if (o.event !== undefined || o.expect !== undefined) return checkEventSmoke(c, o, path);
  const smokePath = c.string(o, 'path', path, {
    default: CATALOG_DEFAULTS.smoke.path,
    problem: (p) =>
      p.startsWith('/') && !/\s/.test(p)
        ? undefined
        : 'use a URL path starting with /, e.g. "/" or "/health"',
  });
  const method = c.oneOf(o, 'method', path, SMOKE_METHODS, CATALOG_DEFAULTS.smoke.method);
  const expectStatus = c.number(o, 'expectStatus', path, {
    default: CATALOG_DEFAULTS.smoke.expectStatus,
    integer: true,
    accept: (n) => n >= 100 && n <= 599,
    fix: 'use an HTTP status code from 100 to 599, e.g. 200',
  });
  return { path: smokePath, method, expectStatus };
}

function checkEventSmoke(c: Checker, o: Record<string, unknown>, path: string): SmokeConfig {
  for (const key of HTTP_SMOKE_KEYS) {
    if (o[key] !== undefined) {
      c.add(
        childPath(path, key),
        o[key],
        'remove it: a smoke check is either an HTTP request (method, path, expectStatus) or an event invoked ' +
          'directly (event, expect), not both',
      );
    }
  }
  const event = checkEvent(c, o.event, childPath(path, 'event'), 'add the event to invoke the handler with');
  const smoke = { event, ...(o.expect !== undefined ? { expect: o.expect } : {}) };
  const size = JSON.stringify(smoke).length;
  if (size > MAX_SMOKE_JSON) {
    c.add(
      path,
      smoke,
      `make the smoke check smaller: its JSON is ${size} characters, at most ${MAX_SMOKE_JSON} fit (it travels in ` +
        "the post-traffic hook's environment, which Lambda limits to 4 KB); one small record is enough",
    );
  }
  return smoke;
}

/** An event: a JSON object, as every Lambda event source sends. */
function checkEvent(c: Checker, value: unknown, path: string, missing: string): JsonObject {
  if (value === undefined) {
    c.add(path, value, `${missing}, e.g. ${EVENT_EXAMPLE}`);
    return {};
  }
  if (!isObject(value)) {
    c.add(
      path,
      value,
      `use a JSON object, as event sources send (not ${kindOf(value)}), e.g. ${EVENT_EXAMPLE}`,
    );
    return {};
  }
  return value;
}

export function checkTraffic(c: Checker, value: unknown, path: string): TrafficEntry[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 20) {
    c.add(
      path,
      value,
      'use a list of 1-20 requests, e.g. [{ "method": "GET", "path": "/" }], or of events, e.g. [{ "event": { … } }]',
    );
    return undefined;
  }
  return value.map((entry, i) => checkTrafficEntry(c, entry, `${path}[${i}]`));
}

function checkTrafficEntry(c: Checker, value: unknown, path: string): TrafficEntry {
  const o = c.object(value, path, TRAFFIC_KEYS, 'add a request, e.g. { "method": "GET", "path": "/" }');
  if (!o) return { method: 'GET', path: '/' };
  if (o.event !== undefined) {
    for (const key of ['method', 'path', 'body'] as const) {
      if (o[key] !== undefined)
        c.add(childPath(path, key), o[key], 'remove it: an event entry holds only "event"');
    }
    const event = checkEvent(c, o.event, childPath(path, 'event'), 'add the event');
    const size = JSON.stringify(event).length;
    if (size > MAX_TRAFFIC_EVENT_JSON) {
      c.add(
        childPath(path, 'event'),
        event,
        `make the event smaller: its JSON is ${size} characters, at most ${MAX_TRAFFIC_EVENT_JSON} (it travels in the release document)`,
      );
    }
    return { event };
  }
  const method = c.oneOf(o, 'method', path, SMOKE_METHODS, 'GET');
  const requestPath = c.string(o, 'path', path, {
    default: '/',
    problem: (p) => (p.startsWith('/') ? undefined : 'start the path with "/", e.g. "/checkout"'),
  });
  let body: string | undefined;
  if (o.body !== undefined) {
    if (typeof o.body === 'string') body = o.body;
    else if (isObject(o.body) || Array.isArray(o.body)) body = JSON.stringify(o.body);
    else c.add(childPath(path, 'body'), o.body, 'use a JSON object or a string');
  }
  const request: TrafficRequest = { method, path: requestPath, ...(body !== undefined ? { body } : {}) };
  return request;
}

/**
 * A service is an HTTP handler or an event-driven one: traffic of the other kind than its smoke check would only
 * fail, so it is refused here, naming the entry.
 */
export function checkTrafficKind(
  c: Checker,
  smoke: SmokeConfig,
  traffic: readonly TrafficEntry[] | undefined,
  path: string,
): void {
  const smokeEvent = isEventSmoke(smoke) ? smoke.event : undefined;
  (traffic ?? []).forEach((entry, i) => {
    if ('event' in entry === (smokeEvent !== undefined)) return;
    c.add(
      `${path}[${i}]`,
      entry,
      smokeEvent !== undefined
        ? `use an event, like the smoke check: { "event": ${describeValue(smokeEvent)} } (this service's smoke check invokes it with an event, so it is not an HTTP handler)`
        : 'use an HTTP request, like the smoke check, e.g. { "method": "GET", "path": "/" }; or make the smoke check an event ({ "event": { … } }) if the handler is event-driven',
    );
  });
}
