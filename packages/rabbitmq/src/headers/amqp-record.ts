import type { Headers, InboundRecord, OutboundRecord } from '@partita/core';

/** Header carrying the record key (AMQP messages have no key). */
export const KEY_HEADER = 'partita-key';
/**
 * Header marking a tombstone (`value: null`): AMQP has no null body, so a
 * tombstone is an empty body with this header set to `1`.
 */
export const TOMBSTONE_HEADER = 'partita-tombstone';
/** Header of a control message the connector sends to learn which member is a queue's active consumer. */
export const PROBE_HEADER = 'partita-probe';
/** Header routing a delayed copy into the wait queue of its delay tier. */
export const WAIT_HEADER = 'partita-wait';

/** Headers the connector owns: a record's own header of that name is not carried. */
const RESERVED = new Set([KEY_HEADER, TOMBSTONE_HEADER, PROBE_HEADER, WAIT_HEADER]);

/**
 * Broker-added headers that are not the record's: the delivery count, and
 * RabbitMQ's dead-letter history (`x-death`, `x-first-death-*`,
 * `x-last-death-*`), which the broker rewrites itself and which must never be
 * published back as strings.
 */
function brokerHeader(name: string): boolean {
  return name === 'x-delivery-count' || name === 'x-death' || /^x-(first|last)-death-/.test(name);
}

/** AMQP message properties for an outbound record (persistent; the body is the value). */
export interface AmqpOutbound {
  readonly content: Buffer<ArrayBufferLike>;
  readonly headers: Record<string, string>;
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Body and headers of an outbound record: its headers, the key and the tombstone mark. */
export function toAmqp(r: OutboundRecord): AmqpOutbound {
  const headers: Record<string, string> = {};
  for (const [n, v] of Object.entries(r.headers)) if (!RESERVED.has(n) && !brokerHeader(n)) headers[n] = v;
  if (r.key !== undefined) headers[KEY_HEADER] = r.key;
  let content: Buffer = EMPTY;
  if (r.value === null) headers[TOMBSTONE_HEADER] = '1';
  else content = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
  return { content, headers };
}

function headerText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** What the connector reads from a delivered AMQP message. */
export interface AmqpInbound {
  readonly content: Buffer;
  readonly properties: { readonly headers?: Record<string, unknown> | undefined; readonly timestamp?: unknown };
}

/**
 * The record a delivered message is: headers without the connector's and the
 * broker's own, the key, `value: null` for a tombstone, and the delivery count
 * (quorum queues count earlier deliveries in `x-delivery-count`).
 */
export function fromAmqp(m: AmqpInbound, offset: string): InboundRecord {
  const headers: Headers = {};
  let key: string | undefined;
  let tombstone = false;
  let returned = 0;
  const h = m.properties.headers;
  if (h) {
    for (const [name, v] of Object.entries(h)) {
      if (v === undefined || v === null) continue;
      if (name === KEY_HEADER) key = headerText(v);
      else if (name === TOMBSTONE_HEADER) tombstone = headerText(v) === '1';
      else if (name === 'x-delivery-count') returned = Number(v) || 0;
      else if (!RESERVED.has(name) && !brokerHeader(name)) headers[name] = headerText(v);
    }
  }
  const ts = typeof m.properties.timestamp === 'number' ? m.properties.timestamp * 1000 : Date.now();
  return {
    key,
    headers,
    offset,
    value: tombstone ? null : new Uint8Array(m.content.buffer, m.content.byteOffset, m.content.byteLength),
    timestamp: ts,
    deliveryCount: returned + 1,
  };
}

/** Whether a delivered message is one of the connector's probes (never handed to the runtime). */
export function isProbe(m: AmqpInbound): boolean {
  return m.properties.headers?.[PROBE_HEADER] !== undefined;
}
