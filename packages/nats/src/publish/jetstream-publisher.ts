import type { JetStreamClient } from '@nats-io/jetstream';
import { BackpressureError, TopicNotFoundError, type Clock, type OutboundRecord } from '@partita/core';
import type { ConnectionState } from '../connection/nats-connection.js';
import { mapNatsError } from '../errors/map-nats-error.js';
import { toNatsHeaders, toNatsPayload } from '../headers/record-headers.js';
import type { ResolvedNatsOptions } from '../options/nats-transport-options.js';
import type { StreamProvisioner } from '../stream/stream-provisioner.js';

/**
 * Publishes records with JetStream and resolves once every PubAck arrived.
 * Records are pipelined in call order, at most `publishConcurrency` awaiting
 * their ack at once. While the connection is down, at most
 * `maxBufferedPublishBytes` may wait; beyond it publishing fails fast with
 * `BackpressureError` instead of growing the client's buffer.
 */
export class JetStreamPublisher {
  private pendingBytes = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly conn: ConnectionState,
    private readonly streams: StreamProvisioner,
    private readonly o: ResolvedNatsOptions,
    private readonly clock: Clock,
  ) {}

  /** Bytes currently waiting for a PubAck. */
  get buffered(): number {
    return this.pendingBytes;
  }

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    if (records.length === 0) return;
    const topics = new Set<string>();
    let bytes = 0;
    for (const r of records) {
      topics.add(r.topic);
      bytes += r.value?.byteLength ?? 0;
    }
    await Promise.all([...topics].map((t) => this.streams.streamFor(t)));
    if (this.conn.disconnected && this.pendingBytes + bytes > this.o.maxBufferedPublishBytes) {
      throw new BackpressureError(
        `NATS is disconnected and ${this.pendingBytes} bytes already wait for acknowledgement (maxBufferedPublishBytes ${this.o.maxBufferedPublishBytes}); retry later`,
      );
    }
    this.pendingBytes += bytes;
    try {
      await this.pipeline(records);
    } finally {
      this.pendingBytes -= bytes;
    }
  }

  private async pipeline(records: readonly OutboundRecord[]): Promise<void> {
    let next = 0;
    // Written by the workers below: typed here, since flow analysis does not see those writes.
    let failure = undefined as Error | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < records.length) {
        const r = records[next++]!;
        try {
          const h = toNatsHeaders(r, this.clock.now());
          await this.js.publish(r.topic, toNatsPayload(r), {
            timeout: this.o.publishTimeoutMs,
            ...(h ? { headers: h } : {}),
          });
        } catch (err) {
          const mapped = mapNatsError(err, `publish to "${r.topic}"`, r.topic, this.conn.nc.info?.max_payload);
          if (mapped instanceof TopicNotFoundError) this.streams.forget(r.topic);
          failure ??= mapped;
        }
      }
    };
    const n = Math.min(this.o.publishConcurrency, records.length);
    const workers: Promise<void>[] = [];
    for (let i = 0; i < n; i++) workers.push(worker());
    await Promise.all(workers);
    if (failure !== undefined) throw failure;
  }
}
