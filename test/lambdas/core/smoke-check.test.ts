import { describe, expect, it } from 'vitest';
import type { EventSmokeConfig } from '../../../lambdas/core/catalog/types';
import type { EventInvokeResult } from '../../../lambdas/core/ports';
import {
  batchItemFailureCount,
  resultMismatch,
  runSmokeCheck,
  smokeLabel,
} from '../../../lambdas/core/smoke-check';

const SQS = { Records: [{ messageId: 'smoke-1', body: '{}' }] };

function eventCheck(smoke: EventSmokeConfig, answer: Partial<EventInvokeResult>) {
  const sent: unknown[] = [];
  const outcome = runSmokeCheck(smoke, {
    http: async () => {
      throw new Error('an event check sends no HTTP request');
    },
    event: async (event) => {
      sent.push(event);
      return { payload: undefined, latencyMs: 4, ...answer };
    },
  });
  return { outcome, sent };
}

describe('runSmokeCheck', () => {
  it('sends the HTTP request and compares the status', async () => {
    const smoke = { method: 'GET', path: '/health', expectStatus: 200 };
    const http = async () => ({ statusCode: 503, body: 'down for maintenance', latencyMs: 7 });
    await expect(
      runSmokeCheck(smoke, { http, event: async () => ({ payload: 1, latencyMs: 1 }) }),
    ).resolves.toEqual({
      passed: false,
      status: 503,
      latencyMs: 7,
      summary: 'GET /health → 503',
      problem: 'answered 503, expected 200: down for maintenance',
    });
  });

  it('invokes an event check with the event and passes a result that contains expect', async () => {
    const { outcome, sent } = eventCheck(
      { event: SQS, expect: { batchItemFailures: [] } },
      { payload: { batchItemFailures: [], processed: 1 } },
    );
    await expect(outcome).resolves.toEqual({
      passed: true,
      status: 200,
      latencyMs: 4,
      summary: 'event → {"batchItemFailures":[],"processed":1}',
    });
    expect(sent).toEqual([SQS]);
  });

  it('fails an event check whose handler threw, naming the error', async () => {
    const { outcome } = eventCheck({ event: SQS }, { functionError: 'TypeError: no orderId' });
    await expect(outcome).resolves.toMatchObject({
      passed: false,
      summary: 'event → error TypeError: no orderId',
      problem: 'threw TypeError: no orderId',
    });
  });

  it('fails on failed batch items even without expect; an expect that names them decides instead', async () => {
    const partial = { batchItemFailures: [{ itemIdentifier: 'smoke-1' }] };
    await expect(eventCheck({ event: SQS }, { payload: partial }).outcome).resolves.toMatchObject({
      passed: false,
      problem: 'reported 1 failed batch item: {"batchItemFailures":[{"itemIdentifier":"smoke-1"}]}',
    });
    await expect(
      eventCheck({ event: SQS, expect: partial }, { payload: partial }).outcome,
    ).resolves.toMatchObject({ passed: true });
  });

  it('fails a result that does not contain expect, naming where it differs', async () => {
    await expect(
      eventCheck({ event: SQS, expect: { status: 'stored' } }, { payload: { status: 'skipped' } }).outcome,
    ).resolves.toMatchObject({
      passed: false,
      problem:
        'returned a result that does not match smoke.expect: result.status: expected "stored", got "skipped"',
    });
  });
});

describe('resultMismatch', () => {
  it('matches objects key by key (extra keys free), arrays and plain values exactly', () => {
    expect(
      resultMismatch({ a: 1, b: { c: [1, 2] }, extra: true }, { a: 1, b: { c: [1, 2] } }),
    ).toBeUndefined();
    expect(resultMismatch({ a: [1, 2, 3] }, { a: [1, 2] })).toBe('result.a: expected [1,2], got [1,2,3]');
    expect(resultMismatch([{ id: 'x', n: 1 }], [{ id: 'y' }])).toBe('result[0].id: expected "y", got "x"');
    expect(resultMismatch('done', { ok: true })).toBe('result: expected an object, got "done"');
    expect(resultMismatch(undefined, null)).toBeUndefined();
    expect(resultMismatch(undefined, 'ok')).toBe('result: expected "ok", got nothing');
  });
});

describe('batchItemFailureCount and smokeLabel', () => {
  it('counts the items a partial batch response lists, 0 for anything else', () => {
    expect(
      batchItemFailureCount({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] }),
    ).toBe(2);
    expect(batchItemFailureCount({ batchItemFailures: [] })).toBe(0);
    expect(batchItemFailureCount({ statusCode: 500 })).toBe(0);
    expect(batchItemFailureCount('batchItemFailures')).toBe(0);
    expect(batchItemFailureCount(null)).toBe(0);
  });

  it('names the check in a few words', () => {
    expect(smokeLabel({ method: 'POST', path: '/orders', expectStatus: 201 })).toBe('POST /orders');
    expect(smokeLabel({ event: SQS })).toBe('event');
  });
});
