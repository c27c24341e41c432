import type { PublishMessage } from '@partita/core';
import { topics } from './topics.js';

export interface Order {
  readonly id: number;
  readonly customer: string;
  readonly total: number;
  readonly items: readonly { readonly sku: string; readonly qty: number; readonly price: number }[];
  readonly note: string;
}

/** A deterministic pseudo-random source (mulberry32), so every run tells the same story. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OrderBatch {
  readonly valid: PublishMessage<Order>[];
  /** Now and then a payload that is not JSON (a broken client), published raw. */
  readonly garbage?: { readonly key: string; readonly bytes: Uint8Array };
}

/**
 * `count` orders from 500 customers in batches; every `poisonEvery`th order is poison
 * (negative total), and each batch of 10 carries one undecodable payload.
 */
export function* orderStream(count: number, batchSize: number, poisonEvery = 997): Generator<OrderBatch> {
  const random = seeded(42);
  let id = 1;
  let batchNo = 0;
  while (id <= count) {
    const valid: PublishMessage<Order>[] = [];
    for (let i = 0; i < batchSize && id <= count; i++, id++) {
      const customer = `c-${Math.floor(random() * 500)}`;
      const items = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
        sku: `sku-${Math.floor(random() * 9000)}`,
        qty: 1 + Math.floor(random() * 3),
        price: Math.round(random() * 9000) / 100,
      }));
      const total =
        id % poisonEvery === 0 ? -1 : Math.round(items.reduce((s, it) => s + it.qty * it.price, 0) * 100) / 100;
      valid.push({
        topic: topics.orders,
        key: customer,
        value: { id, customer, total, items, note: 'leave at the door'.repeat(1 + (id % 4)) },
        headers: { source: id % 3 === 0 ? 'mobile' : 'web' },
      });
    }
    batchNo++;
    yield batchNo % 10 === 0
      ? { valid, garbage: { key: 'c-broken', bytes: new TextEncoder().encode('{"id": 17, "total": ') } }
      : { valid };
  }
}
