/**
 * One SQS batch: each record is parsed on its own, so one bad message fails only itself. The result is Lambda's
 * partial batch response (`ReportBatchItemFailures`): SQS deletes the rest and retries only the listed items.
 */
import { type OrderEvent, type OrderPlaced, parseOrderEvent } from './order-event';

export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface BatchSinks {
  /** A valid order event, to act on. */
  readonly accepted: (event: OrderEvent, record: SqsRecord) => void;
  /** A message that is not one, with the reason. */
  readonly rejected: (record: SqsRecord, problem: string) => void;
}

export function processBatch(event: SqsEvent, sinks: BatchSinks): BatchResponse {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const parsed = parseOrderEvent(record.body);
    if (parsed.ok) {
      sinks.accepted(parsed.event, record);
    } else {
      sinks.rejected(record, parsed.problem);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** Units ordered across the lines of an order. */
export function unitsOf(event: OrderPlaced): number {
  return event.items.reduce((sum, line) => sum + line.quantity, 0);
}
