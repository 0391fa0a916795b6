/**
 * The smoke check, judged once for Stage (the staged version) and for the post-traffic hook (the live alias): an
 * HTTP request whose status must match, or an event invoked directly whose result must contain `expect`. An event
 * handler that throws, or that reports failed batch items the catalog did not expect, fails it: that is what the
 * canary's error rate counts too (service-wrapper.ts).
 */
import { type EventSmokeConfig, isEventSmoke, type JsonObject, type SmokeConfig } from './catalog/types';
import type { EventInvokeResult, HttpRequest, InvokeResult } from './ports';

/** How the check reaches the version: over its function URL shape, or with Lambda Invoke. */
export interface SmokeInvokers {
  readonly http: (request: HttpRequest) => Promise<InvokeResult>;
  readonly event: (event: JsonObject) => Promise<EventInvokeResult>;
}

export interface SmokeOutcome {
  readonly passed: boolean;
  /** The HTTP status, or 200 for a direct invocation that ran (Lambda Invoke's own status). */
  readonly status: number;
  readonly latencyMs: number;
  /** What was sent and what came back: "GET / → 200", "event → {"batchItemFailures":[]}". */
  readonly summary: string;
  /** Why it failed, in words that name the difference. */
  readonly problem?: string;
}

const SHOWN = 300;

function shorten(text: string, max = SHOWN): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function json(value: unknown): string {
  return value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
}

/** "GET /" or "event": the check in a few words, for messages. */
export function smokeLabel(smoke: SmokeConfig): string {
  return isEventSmoke(smoke) ? 'event' : `${smoke.method} ${smoke.path}`;
}

/** The number of items a partial batch response lists as failed (0 for any other result). */
export function batchItemFailureCount(result: unknown): number {
  if (result === null || typeof result !== 'object') return 0;
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  return Array.isArray(failures) ? failures.length : 0;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Where `actual` fails to contain `expected`, or undefined when it does: an object must hold each expected key
 * with a matching value (other keys are free); arrays must have the same length and match element by element;
 * anything else must be equal.
 */
export function resultMismatch(actual: unknown, expected: unknown, at = 'result'): string | undefined {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return `${at}: expected an object, got ${shorten(json(actual), 120)}`;
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = resultMismatch(actual[key], value, `${at}.${key}`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${at}: expected ${shorten(json(expected), 120)}, got ${shorten(json(actual), 120)}`;
    for (let i = 0; i < expected.length; i++) {
      const mismatch = resultMismatch(actual[i], expected[i], `${at}[${i}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  return Object.is(actual, expected) || (actual === undefined && expected === null)
    ? undefined
    : `${at}: expected ${json(expected)}, got ${shorten(json(actual), 120)}`;
}

/** Why an event check failed, or undefined when it passed. */
export function eventSmokeProblem(smoke: EventSmokeConfig, answer: EventInvokeResult): string | undefined {
  if (answer.functionError !== undefined) return `threw ${shorten(answer.functionError)}`;
  const expectsFailures = isPlainObject(smoke.expect) && 'batchItemFailures' in smoke.expect;
  const failed = batchItemFailureCount(answer.payload);
  if (failed > 0 && !expectsFailures) {
    return `reported ${failed} failed batch item${failed === 1 ? '' : 's'}: ${shorten(json(answer.payload))}`;
  }
  if (smoke.expect === undefined) return undefined;
  const mismatch = resultMismatch(answer.payload, smoke.expect);
  return mismatch ? `returned a result that does not match smoke.expect: ${mismatch}` : undefined;
}

/** Runs the catalog's smoke check once. An invoker that throws (no answer) is left to the caller. */
export async function runSmokeCheck(smoke: SmokeConfig, invoke: SmokeInvokers): Promise<SmokeOutcome> {
  if (isEventSmoke(smoke)) {
    const answer = await invoke.event(smoke.event);
    const problem = eventSmokeProblem(smoke, answer);
    const result =
      answer.functionError !== undefined ? `error ${answer.functionError}` : json(answer.payload);
    return {
      passed: problem === undefined,
      status: 200,
      latencyMs: answer.latencyMs,
      summary: `event → ${shorten(result, 120)}`,
      ...(problem ? { problem } : {}),
    };
  }
  const { method, path, expectStatus } = smoke;
  const answer = await invoke.http({ method, path });
  const passed = answer.statusCode === expectStatus;
  return {
    passed,
    status: answer.statusCode,
    latencyMs: answer.latencyMs,
    summary: `${method} ${path} → ${answer.statusCode}`,
    ...(passed
      ? {}
      : { problem: `answered ${answer.statusCode}, expected ${expectStatus}: ${shorten(answer.body)}` }),
  };
}
