import { describe, expect, it } from 'vitest';
import { parseOrderEvent } from '../src/order-event';

const placed = { type: 'OrderPlaced', orderId: 'o-1001', items: [{ sku: 'tea', quantity: 2 }] };

describe('parseOrderEvent', () => {
  it('accepts an OrderPlaced event', () => {
    expect(parseOrderEvent(JSON.stringify(placed))).toEqual({ ok: true, event: placed });
  });

  it('says when the body is not JSON', () => {
    expect(parseOrderEvent('{"type":')).toEqual({ ok: false, problem: 'the body is not JSON' });
  });

  it('names every field that is wrong', () => {
    const parsed = parseOrderEvent(
      JSON.stringify({ type: 'OrderPlaced', orderId: 'order 7', items: [{ sku: 'tea', quantity: 0 }] }),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problem).toContain('/orderId must match pattern');
    expect(parsed.problem).toContain('/items/0/quantity must be >= 1');
  });

  it('refuses other event types, missing items and unknown fields', () => {
    expect(parseOrderEvent(JSON.stringify({ ...placed, type: 'OrderShipped' })).ok).toBe(false);
    expect(parseOrderEvent(JSON.stringify({ ...placed, items: [] })).ok).toBe(false);
    expect(parseOrderEvent(JSON.stringify({ ...placed, coupon: 'FREE' })).ok).toBe(false);
  });
});
