import type {
  InboundRecord,
  LaneHandle,
  Subscription,
  SubscriptionSink,
  SubscriptionSpec,
  Transport,
} from '@partita/core';
import type { SettlementLog } from './settlement-log.js';

/** A member's transport: records confirmed settlements, and can die abruptly. */
export interface MemberTransport extends Transport {
  /**
   * The in-process kill -9: from now on nothing of this member reaches the
   * broker (no commit, ack or nack; deliveries are dropped), revocations
   * resolve at once without draining, and its subscriptions are closed so the
   * broker hands its lanes to the others from the last confirmed commit.
   */
  kill(): Promise<void>;
  readonly dead: boolean;
  /**
   * Whether the broker delivered this record before (`InboundRecord.redelivered`,
   * e.g. handed back by a stopping member); forgets it once asked.
   */
  takeRedelivered(msg: { topic: string; partition: number; offset: string }): boolean;
}

export const laneName = (id: { topic: string; partition: number }): string => `${id.topic}/${id.partition}`;

/** Wrap `inner` so that member `by` logs what the broker confirmed, and may be killed. */
export function memberTransport(inner: Transport, by: string, log: SettlementLog): MemberTransport {
  let dead = false;
  const subscriptions: Subscription[] = [];
  const redelivered = new Set<string>();

  const wrapHandle = (handle: LaneHandle): LaneHandle => {
    const lane = laneName(handle.id);
    const flow = { id: handle.id, pause: () => handle.pause(), resume: () => handle.resume() };
    if (handle.ackModel === 'offset') {
      return {
        ackModel: 'offset',
        ...flow,
        get committedMetadata() {
          return handle.committedMetadata;
        },
        async commit(next: string, metadata?: string) {
          if (dead) return false;
          const ok = await handle.commit(next, metadata);
          if (ok && !dead) log.record({ t: 'c', by, lane, next });
          return ok;
        },
      };
    }
    return {
      ackModel: 'message',
      ...flow,
      async settle(records: readonly InboundRecord[], outcome: 'ack' | 'term') {
        if (dead) return;
        await handle.settle(records, outcome);
        if (!dead) log.record({ t: 'a', by, lane, offsets: records.map((r) => r.offset) });
      },
      nack: (record: InboundRecord, delayMs: number) => (dead ? Promise.resolve() : handle.nack(record, delayMs)),
    };
  };

  const wrapSink = (sink: SubscriptionSink): SubscriptionSink => ({
    assigned(handle) {
      const lane = laneName(handle.id);
      log.record({ t: 'l', by, lane, op: 'assigned' });
      const laneSink = sink.assigned(wrapHandle(handle));
      return {
        deliver: (records) => {
          if (dead) return;
          for (const r of records) if (r.redelivered === true) redelivered.add(`${lane}@${r.offset}`);
          laneSink.deliver(records);
        },
      };
    },
    async revoked(id) {
      if (dead) return;
      log.record({ t: 'l', by, lane: laneName(id), op: 'revoking' });
      await sink.revoked(id);
      if (!dead) log.record({ t: 'l', by, lane: laneName(id), op: 'released' });
    },
  });

  return {
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    get dead() {
      return dead;
    },
    attach: (context) => inner.attach?.(context),
    takeRedelivered(msg) {
      return redelivered.delete(`${laneName(msg)}@${msg.offset}`);
    },
    connect: () => inner.connect(),
    publish: (records) => inner.publish(records),
    async subscribe(spec: SubscriptionSpec, sink: SubscriptionSink) {
      const sub = await inner.subscribe(spec, wrapSink(sink));
      subscriptions.push(sub);
      if (dead) await sub.close();
      return sub;
    },
    health: () => inner.health(),
    close: () => inner.close(),
    async kill() {
      dead = true;
      await Promise.allSettled(subscriptions.map((s) => s.close()));
    },
  };
}
