import { AckPolicy, DeliverPolicy, jetstreamManager, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jsonCodec, type Transport } from '@partita/core';
import { natsTransport, streamNameFor } from '@partita/nats';
import { decodeStamp, runId, type LatencyPhase, type LatencyTarget } from '../latency-target.js';
import { partitaPhase } from './partita-phase.js';

/** Records the raw loop asks for at once: partita's default `maxInFlight`. */
const BUFFER = 64;

/**
 * NATS JetStream at PARTITA_NATS_SERVERS (default nats://127.0.0.1:4222).
 * raw: a durable pull consumer, `consume({ max_messages: 64 })`, decode, handle, `ack()` each (the `nats`
 * scenario's baseline); partita: `natsTransport` with the handler's defaults (maxInFlight 64).
 */
export function natsTarget(): LatencyTarget {
  const servers = (process.env.PARTITA_NATS_SERVERS ?? 'nats://127.0.0.1:4222').split(',');
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  let producer: Transport | undefined;
  return {
    name: 'nats',
    saturation: { batch: 200, window: 10_000 },
    async probe() {
      nc = await connect({ servers, timeout: 3_000 });
      jsm = await jetstreamManager(nc);
      producer = natsTransport({ servers });
      await producer.connect();
    },
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `bench.lat.${runId()}`;
      const group = `bench_lat_${side}_${runId()}`;
      // The producer creates the stream (as partita does) with its first record; it is a stamped one like the rest.
      await producer!.publish([{ topic, value: jsonCodec.encode({ t: performance.now() }), headers: {} }]);
      const publish = producer!.publish.bind(producer);
      const drop = () =>
        jsm!.streams.delete(streamNameFor(topic)).then(
          () => undefined,
          () => undefined,
        );
      if (side === 'raw') {
        const stream = streamNameFor(topic);
        await jsm!.consumers.add(stream, {
          durable_name: group,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: topic,
          max_ack_pending: 10_000,
        });
        const c = await jetstream(nc!).consumers.get(stream, group);
        const messages = await c.consume({ max_messages: BUFFER });
        const loop = (async () => {
          for await (const m of messages) {
            handle(decodeStamp(m.data));
            m.ack();
          }
        })();
        return {
          topic,
          publish,
          async close() {
            await messages.close();
            await loop;
            await drop();
          },
        };
      }
      return partitaPhase({ transport: natsTransport({ servers }), topic, group, handle, publish, cleanup: drop });
    },
    async close() {
      await producer?.close();
      await nc?.close();
    },
  };
}
