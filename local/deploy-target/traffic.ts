/**
 * What the local deploy target sends a service: the catalog's traffic (or smoke check) as HTTP calls to its
 * alias, and Invoke answers read back as Lambda's SDK would read them.
 */
import { isEventSmoke, type ServiceConfig, serviceResourceName } from '../../lambdas/core/catalog/types';
import type { EventInvokeResult } from '../../lambdas/core/ports';
import type { HttpAnswer } from '../aws/lambda/http-call';
import { FUNCTION_ERROR_HEADER, invokePath } from '../aws/lambda/protocol';

export interface TrafficCall {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

/**
 * The calls the load generator cycles through during a bake: `deploy.traffic`, else the smoke check. An event
 * becomes a POST of the event to Lambda's Invoke path, which the alias routes by weight like any request and the
 * version runs with the event itself.
 */
export function trafficCalls(service: ServiceConfig): TrafficCall[] {
  const entries = service.deploy.traffic ?? [
    isEventSmoke(service.smoke) ? { event: service.smoke.event } : service.smoke,
  ];
  const invoke = invokePath(serviceResourceName(service.name));
  return entries.map((entry) =>
    'event' in entry
      ? { method: 'POST', path: invoke, body: JSON.stringify(entry.event) }
      : {
          method: entry.method,
          path: entry.path,
          ...('body' in entry && entry.body !== undefined ? { body: entry.body } : {}),
        },
  );
}

/** An Invoke answer as the SDK reads it: the payload as JSON, or FunctionError with the error's type and message. */
export function eventInvokeResult(answer: HttpAnswer): EventInvokeResult {
  const text = answer.body.toString('utf8');
  const latencyMs = Math.round(answer.latencyMs);
  if (answer.status !== 200) {
    throw new Error(`Invoke answered ${answer.status}: ${text.slice(0, 300)}`);
  }
  let payload: unknown;
  try {
    payload = text === '' ? undefined : JSON.parse(text);
  } catch {
    payload = text;
  }
  if (answer.headers[FUNCTION_ERROR_HEADER] !== undefined) {
    const error = payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
    const functionError =
      typeof error?.errorMessage === 'string'
        ? `${typeof error.errorType === 'string' ? error.errorType : 'Error'}: ${error.errorMessage}`
        : String(answer.headers[FUNCTION_ERROR_HEADER]);
    return { payload: undefined, functionError, latencyMs };
  }
  return { payload, latencyMs };
}
