// A transport wrapper for runtime tests: forwards to a real transport (the
// embedded broker) and injects the faults a test asks for, through the
// public Transport SPI only.
import type { LaneHandle, OutboundRecord, SubscriptionSink, Transport } from '@partita/core';

export interface Faults {
  /** Return an error to reject a publish of this record (the whole publish call rejects). */
  publish?: (record: OutboundRecord) => Error | undefined;
  /** `hang`: lane commits never settle; `fail`: they reject. */
  commit?: 'hang' | 'fail';
}

/** `inner` with `faults` applied; `faults` may be changed while the app runs (e.g. healed). */
export function faultyTransport(inner: Transport, faults: Faults): Transport {
  return {
    name: `${inner.name}+faults`,
    capabilities: inner.capabilities,
    attach: (context) => inner.attach?.(context),
    connect: () => inner.connect(),
    async publish(records) {
      for (const r of records) {
        const err = faults.publish?.(r);
        if (err) throw err;
      }
      return inner.publish(records);
    },
    subscribe(spec, sink) {
      const wrapped: SubscriptionSink = {
        assigned(lane: LaneHandle) {
          const flow = { id: lane.id, pause: () => lane.pause(), resume: () => lane.resume() };
          const proxy: LaneHandle =
            lane.ackModel === 'offset'
              ? {
                  ackModel: 'offset',
                  ...flow,
                  committedMetadata: lane.committedMetadata,
                  commit: (next: string, metadata?: string) =>
                    faults.commit === 'hang'
                      ? new Promise<boolean>(() => undefined)
                      : faults.commit === 'fail'
                        ? Promise.reject(new Error('injected commit failure'))
                        : lane.commit(next, metadata),
                }
              : {
                  ackModel: 'message',
                  ...flow,
                  settle: (records, outcome) => lane.settle(records, outcome),
                  nack: (record, delayMs) => lane.nack(record, delayMs),
                };
          return sink.assigned(proxy);
        },
        revoked: (id) => sink.revoked(id),
      };
      return inner.subscribe(spec, wrapped);
    },
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

/** Serialized size of a record as a broker would count it: value, key and headers. */
export function recordBytes(r: OutboundRecord): number {
  let n = (r.value?.byteLength ?? 0) + Buffer.byteLength(r.key ?? '');
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}
