import { ClosedError } from '@partita/core';
import type { LaneHandle, Transport } from '@partita/core';

/** A transport that can die under its app (see {@link mortalTransport}). */
export interface MortalTransport {
  readonly transport: Transport;
  /** Whether {@link kill} was called. */
  readonly dead: boolean;
  /**
   * Die as a crashed process would: from now on nothing of the app reaches the
   * broker (no commit, ack, nack, pause or resume; no more deliveries; no
   * revocation, so no drain and no final commit), then the connection is
   * closed so the broker hands the app's partitions or messages to others.
   */
  kill(): Promise<void>;
}

/**
 * Wrap `inner` so a scenario can kill the app on top of it without the app
 * noticing: the app is not stopped, so it never drains, and whatever it does
 * after the death is lost. Commits after death resolve `false` (lane lost).
 */
export function mortalTransport(inner: Transport): MortalTransport {
  let dead = false;
  const flow = (l: LaneHandle) => ({
    id: l.id,
    pause: () => {
      if (!dead) l.pause();
    },
    resume: () => {
      if (!dead) l.resume();
    },
  });
  const lane = (l: LaneHandle): LaneHandle =>
    l.ackModel === 'offset'
      ? {
          ackModel: 'offset',
          ...flow(l),
          ...(l.committedMetadata !== undefined ? { committedMetadata: l.committedMetadata } : {}),
          commit: (next, metadata) => (dead ? Promise.resolve(false) : l.commit(next, metadata)),
        }
      : {
          ackModel: 'message',
          ...flow(l),
          settle: (records, outcome) => (dead ? Promise.resolve() : l.settle(records, outcome)),
          nack: (record, delayMs) => (dead ? Promise.resolve() : l.nack(record, delayMs)),
        };
  const transport: Transport = {
    name: inner.name,
    capabilities: inner.capabilities,
    attach: (context) => inner.attach?.(context),
    connect: () => inner.connect(),
    publish: (records) =>
      dead ? Promise.reject(new ClosedError('publish: the consumer was killed')) : inner.publish(records),
    subscribe: (spec, sink) =>
      inner.subscribe(spec, {
        assigned(l) {
          if (dead) return { deliver: () => undefined };
          const s = sink.assigned(lane(l));
          return {
            deliver: (records) => {
              if (!dead) s.deliver(records);
            },
          };
        },
        revoked: async (id) => {
          if (!dead) await sink.revoked(id);
        },
      }),
    health: () => inner.health(),
    close: () => inner.close(),
  };
  return {
    transport,
    get dead() {
      return dead;
    },
    async kill() {
      dead = true;
      await inner.close();
    },
  };
}
