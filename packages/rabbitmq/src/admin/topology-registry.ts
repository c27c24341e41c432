import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';
import type { RabbitConnection } from '../connection/rabbit-connection.js';

/** Topics and the groups of each, as the registry knows them. */
export type KnownTopology = Map<string, Set<string>>;

/** The stream queue where transports note the topics and groups they declare. */
export function registryQueue(o: { readonly prefix: string }): string {
  return `${o.prefix}partita.admin.registry`;
}

/** How long a registry read waits for its own end marker before it answers with what it has. */
const READ_TIMEOUT_MS = 5_000;

/**
 * Where connectors note the topics and groups they declare, so the admin can
 * list them: AMQP 0-9-1 cannot list exchanges or queues (that takes the
 * management plugin, which partita does not use). A stream queue
 * `<prefix>partita.admin.registry` (RabbitMQ 3.9+): every transport appends
 * `{ t, g? }` once per topic and per (topic, group) it declares; a read
 * consumes the stream from its first entry up to a marker it appended
 * itself, so every reader sees every entry and knows where the end is.
 * Retention is 16 MB in 1 MB segments: an entry older than that is dropped,
 * and comes back when a transport declares that topic or group again.
 */
export class TopologyRegistry {
  private readonly noted = new Set<string>();
  private declared: Promise<void> | undefined;

  constructor(
    private readonly conn: RabbitConnection,
    readonly queue: string,
  ) {}

  /**
   * Note a topic (and a group of it) once per transport. Best effort: never
   * rejects (a broker without streams has no registry; the admin then knows
   * only this transport's topics).
   */
  async note(topic: string, group?: string): Promise<void> {
    const key = group === undefined ? topic : `${topic}\u0000${group}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    await this.append({ t: topic, ...(group !== undefined ? { g: group } : {}) }).catch(() => this.noted.delete(key));
  }

  /** Every topic and group noted so far (in the stream's retention). */
  async read(): Promise<KnownTopology> {
    const marker = randomUUID();
    await this.append({ m: marker });
    const known: KnownTopology = new Map();
    await this.conn.withChannel(async (ch) => {
      await ch.prefetch(1000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, READ_TIMEOUT_MS);
        ch.consume(
          this.queue,
          (m) => {
            if (!m) return;
            ch.ack(m);
            const e = parse(m.content);
            if (e?.m === marker) {
              clearTimeout(timer);
              resolve();
            } else if (e?.t !== undefined) {
              let groups = known.get(e.t);
              if (!groups) known.set(e.t, (groups = new Set()));
              if (e.g !== undefined) groups.add(e.g);
            }
          },
          { noAck: false, arguments: { 'x-stream-offset': 'first' } },
        ).catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      });
    });
    return known;
  }

  private async append(entry: { t?: string; g?: string; m?: string }): Promise<void> {
    await this.conn.withChannel(async (ch) => {
      await this.declare(ch);
      ch.sendToQueue(this.queue, Buffer.from(JSON.stringify(entry)), { persistent: true });
    });
  }

  private declare(ch: Channel): Promise<void> {
    this.declared ??= ch
      .assertQueue(this.queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'stream',
          'x-max-length-bytes': 16_000_000,
          'x-stream-max-segment-size-bytes': 1_000_000,
        },
      })
      .then(() => undefined);
    this.declared.catch(() => {
      this.declared = undefined;
    });
    return this.declared;
  }
}

function parse(content: Buffer): { t?: string; g?: string; m?: string } | undefined {
  try {
    const v = JSON.parse(content.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object') return undefined;
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o.t === 'string' ? { t: o.t } : {}),
      ...(typeof o.g === 'string' ? { g: o.g } : {}),
      ...(typeof o.m === 'string' ? { m: o.m } : {}),
    };
  } catch {
    return undefined;
  }
}
