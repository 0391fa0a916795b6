/**
 * The order events this service consumes, as JSON Schemas checked with Ajv: an SQS message body must be one
 * `OrderPlaced` or `OrderCancelled` event, or it is reported back to SQS as a failed item (retried, then sent
 * to the dead-letter queue).
 */
import Ajv, { type JSONSchemaType } from 'ajv';

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

export interface OrderPlaced {
  readonly type: 'OrderPlaced';
  readonly orderId: string;
  readonly items: readonly OrderLine[];
}

export interface OrderCancelled {
  readonly type: 'OrderCancelled';
  readonly orderId: string;
  readonly reason: string;
}

export type OrderEvent = OrderPlaced | OrderCancelled;

const ORDER_ID = { type: 'string', pattern: '^o-[a-z0-9-]{1,40}$' } as const;

const placedSchema: JSONSchemaType<OrderPlaced> = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'OrderPlaced' },
    orderId: ORDER_ID,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', minLength: 1, maxLength: 64 },
          quantity: { type: 'integer', minimum: 1, maximum: 1000 },
        },
        required: ['sku', 'quantity'],
        additionalProperties: false,
      },
    },
  },
  required: ['type', 'orderId', 'items'],
  additionalProperties: false,
};

const cancelledSchema: JSONSchemaType<OrderCancelled> = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'OrderCancelled' },
    orderId: ORDER_ID,
    reason: { type: 'string', minLength: 1, maxLength: 200 },
  },
  required: ['type', 'orderId', 'reason'],
  additionalProperties: false,
};

const ajv = new Ajv({ allErrors: true });
const validators = {
  OrderPlaced: ajv.compile(placedSchema),
  OrderCancelled: ajv.compile(cancelledSchema),
};

export type Parsed =
  | { readonly ok: true; readonly event: OrderEvent }
  | { readonly ok: false; readonly problem: string };

/** Parses and validates one message body; the problem names what is wrong, as Ajv reports it. */
export function parseOrderEvent(body: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (type !== 'OrderPlaced' && type !== 'OrderCancelled') {
    return { ok: false, problem: '/type must be OrderPlaced or OrderCancelled' };
  }
  const validate = validators[type];
  if (validate(value)) return { ok: true, event: value };
  const problem = (validate.errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
  return { ok: false, problem };
}
