/**
 * order-events: an SQS consumer (not HTTP). Each message is an `OrderPlaced` event; valid ones are logged as
 * accepted, invalid ones are logged with the reason and reported as failed batch items.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type BatchResponse, processBatch, type SqsEvent, unitsOf } from './batch';

const logger = new Logger({ serviceName: 'order-events' });

export async function handler(event: SqsEvent): Promise<BatchResponse> {
  return processBatch(event, {
    accepted: (order, record) =>
      logger.info('order accepted', {
        messageId: record.messageId,
        orderId: order.orderId,
        units: unitsOf(order),
      }),
    rejected: (record, problem) => logger.warn('message rejected', { messageId: record.messageId, problem }),
  });
}
