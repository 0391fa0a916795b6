/** Parses a checkout request and prices it. Amounts are integer cents, so totals never suffer float rounding. */

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  /** Cents. */
  readonly unitPrice: number;
}

export interface Order {
  readonly items: readonly OrderLine[];
  readonly currency: string;
}

export interface PricedOrder {
  readonly currency: string;
  readonly itemCount: number;
  readonly subtotal: number;
  readonly total: number;
}

export class InvalidOrderError extends Error {
  override readonly name = 'InvalidOrderError';
}

const MAX_LINES = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseLine(value: unknown, index: number): OrderLine {
  const at = `items[${index}]`;
  if (!isRecord(value)) throw new InvalidOrderError(`${at} must be an object`);
  const { sku, quantity, unitPrice } = value;
  if (typeof sku !== 'string' || sku.trim() === '')
    throw new InvalidOrderError(`${at}.sku must be a non-empty string`);
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 99) {
    throw new InvalidOrderError(`${at}.quantity must be a whole number from 1 to 99`);
  }
  if (typeof unitPrice !== 'number' || !Number.isInteger(unitPrice) || unitPrice < 0) {
    throw new InvalidOrderError(`${at}.unitPrice must be a whole number of cents, 0 or more`);
  }
  return { sku, quantity, unitPrice };
}

export function parseOrder(body: unknown): Order {
  if (!isRecord(body)) throw new InvalidOrderError('the body must be a JSON object with an items array');
  const { items, currency = 'EUR' } = body;
  if (!Array.isArray(items) || items.length === 0)
    throw new InvalidOrderError('items must be a non-empty array');
  if (items.length > MAX_LINES) throw new InvalidOrderError(`items may hold at most ${MAX_LINES} lines`);
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    throw new InvalidOrderError('currency must be a three-letter ISO code such as EUR');
  }
  return { items: items.map(parseLine), currency };
}

export function priceOrder(order: Order): PricedOrder {
  const subtotal = order.items.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  const itemCount = order.items.reduce((sum, line) => sum + line.quantity, 0);
  return { currency: order.currency, itemCount, subtotal, total: subtotal };
}
