import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { RabbitConnection } from '../connection/rabbit-connection.js';
import { isProbe } from '../headers/amqp-record.js';

/** Without a delivery for this long, a browse takes what it has (a queue with an active single consumer gives none). */
const IDLE_MS = 1_000;

/** What a browse needs. */
export interface BrowseRequest {
  readonly queue: string;
  /** Take at most this many messages. */
  readonly max: number;
  /** Stop early once this holds for what was taken. */
  readonly enough?: (taken: readonly ConsumeMessage[]) => boolean;
  /** Messages to acknowledge (delete) instead of returning. */
  readonly remove?: (m: ConsumeMessage) => boolean;
}

/** A message's position: its `messageId` (set by partita's publisher), else a hash of its content and properties. */
export function positionOf(m: ConsumeMessage): string {
  const id = m.properties.messageId as unknown;
  if (typeof id === 'string' && id !== '') return id;
  const h = createHash('sha256')
    .update(m.content)
    .update(JSON.stringify(m.properties.headers ?? {}));
  return `sha-${h
    .update(String(m.properties.timestamp ?? ''))
    .digest('hex')
    .slice(0, 24)}`;
}

/**
 * Take messages from the head of a queue as a consumer on a channel of its
 * own (partition queues have a single active consumer, where `basic.get` is
 * refused), then close the channel: the broker returns every message not
 * acknowledged to the queue, in its place. Quorum queues count that return
 * as a delivery (`x-delivery-count` + 1). The connector's probes are
 * returned and left out. A queue whose single active consumer is another
 * member gives nothing (this consumer waits behind it).
 */
export async function browseQueue(
  conn: RabbitConnection,
  r: BrowseRequest,
): Promise<{ messages: ConsumeMessage[]; removed: number }> {
  return conn.withChannel(async (ch) => {
    const ready = (await ch.checkQueue(r.queue)).messageCount;
    const want = Math.min(ready, r.max);
    const taken: ConsumeMessage[] = [];
    let removed = 0;
    let seen = 0;
    if (want === 0) return { messages: taken, removed };
    await ch.prefetch(Math.min(r.max, 65_535));
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(resolve, IDLE_MS);
      ch.consume(
        r.queue,
        (m) => {
          if (!m) return resolve();
          clearTimeout(idle);
          seen++;
          if (isProbe(m)) {
            /* returned with the others */
          } else if (r.remove?.(m)) {
            ch.ack(m);
            removed++;
          } else taken.push(m);
          if (seen >= want || (r.enough?.(taken) ?? false)) resolve();
          else idle = setTimeout(resolve, IDLE_MS);
        },
        { noAck: false },
      ).catch((err: unknown) => {
        clearTimeout(idle);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
    return { messages: taken, removed };
  });
}
