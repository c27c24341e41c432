/** The business handler both versions run, unchanged: charge one order. */
export interface Order {
  readonly id: number;
  readonly customer: string;
  readonly total: number;
}

/** Thrown for an order that can never be charged (no retry helps). */
export class InvalidOrder extends Error {
  override readonly name = 'InvalidOrder';
}

const charged = new Map<string, number>();

export async function chargeOrder(order: Order): Promise<void> {
  if (!(order.total > 0)) throw new InvalidOrder(`order ${order.id}: total must be positive`);
  await new Promise((r) => setTimeout(r, 2)); // the payment gateway
  charged.set(order.customer, (charged.get(order.customer) ?? 0) + order.total);
}

/** Test orders: every 50th has a negative total. */
export function orders(n: number): Order[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    customer: `c-${i % 25}`,
    total: (i + 1) % 50 === 0 ? -1 : 10 + (i % 7),
  }));
}

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const TOPIC = process.env.EXAMPLE_TOPIC ?? 'orders';
/** The KafkaJS consumer group of the "before" side. */
export const GROUP = process.env.EXAMPLE_GROUP ?? 'billing';
export const ORDERS = Number(process.env.EXAMPLE_ORDERS ?? 200);
