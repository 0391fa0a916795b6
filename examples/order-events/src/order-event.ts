/**
 * The order events this service consumes, as a JSON Schema checked with Ajv: an SQS message body must be one
 * `OrderPlaced` event, or it is reported back to SQS as a failed item (retried, then sent to the dead-letter queue).
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

const schema: JSONSchemaType<OrderPlaced> = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'OrderPlaced' },
    orderId: { type: 'string', pattern: '^o-[a-z0-9-]{1,40}$' },
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

const validate = new Ajv({ allErrors: true }).compile(schema);

export type Parsed =
  | { readonly ok: true; readonly event: OrderPlaced }
  | { readonly ok: false; readonly problem: string };

/** Parses and validates one message body; the problem names what is wrong, as Ajv reports it. */
export function parseOrderEvent(body: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  if (validate(value)) return { ok: true, event: value };
  const problem = (validate.errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
  return { ok: false, problem };
}
