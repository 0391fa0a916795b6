import { describe, expect, it } from 'vitest';
import { processBatch, type SqsRecord, unitsOf } from '../src/batch';
import { handler } from '../src/handler';

const record = (messageId: string, body: unknown): SqsRecord => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const order = (orderId: string, quantity = 1) => ({
  type: 'OrderPlaced',
  orderId,
  items: [{ sku: 'tea', quantity }],
});

describe('handler (SQS partial batch response)', () => {
  it('reports no failures for a batch of valid events', async () => {
    const result = await handler({ Records: [record('m-1', order('o-1')), record('m-2', order('o-2', 3))] });
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('fails only the messages that are not valid order events', async () => {
    const result = await handler({
      Records: [
        record('m-1', order('o-1')),
        record('m-2', 'not json'),
        record('m-3', { type: 'OrderPlaced' }),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }] });
  });
});

describe('processBatch', () => {
  it('hands each accepted order and each rejection with its reason to the sinks', () => {
    const accepted: string[] = [];
    const rejected: string[] = [];
    processBatch(
      { Records: [record('m-1', order('o-1', 4)), record('m-2', { ...order('o-2'), items: [] })] },
      {
        accepted: (event) => accepted.push(`${event.orderId}:${unitsOf(event)}`),
        rejected: (r, problem) => rejected.push(`${r.messageId}: ${problem}`),
      },
    );
    expect(accepted).toEqual(['o-1:4']);
    expect(rejected).toEqual(['m-2: /items must NOT have fewer than 1 items']);
  });
});
