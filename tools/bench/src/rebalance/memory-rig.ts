import type { LaneHandle, Subscription, SubscriptionSink, Transport } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { memberApp } from './member-app.js';
import { wallNow, type Member } from './member-report.js';
import type { RebalanceRig } from './rebalance-rig.js';

/**
 * The in-process kill -9 of a member sharing the embedded broker (as the chaos
 * soak does it): from the kill on, commits answer `false` without committing,
 * deliveries are dropped, revocations resolve at once without draining, and
 * its subscriptions are closed, so the broker hands its partitions to the
 * others from the last commit it confirmed.
 */
function killable(inner: Transport): Transport & { kill(): Promise<void> } {
  let dead = false;
  const subs: Subscription[] = [];
  const wrap = (h: LaneHandle): LaneHandle =>
    h.ackModel === 'offset'
      ? {
          ackModel: 'offset',
          id: h.id,
          pause: () => h.pause(),
          resume: () => h.resume(),
          get committedMetadata() {
            return h.committedMetadata;
          },
          commit: (next, metadata) => (dead ? Promise.resolve(false) : h.commit(next, metadata)),
        }
      : h;
  const sinkOf = (sink: SubscriptionSink): SubscriptionSink => ({
    assigned(handle) {
      const lane = sink.assigned(wrap(handle));
      return { deliver: (records) => (dead ? undefined : lane.deliver(records)) };
    },
    revoked: (id) => (dead ? Promise.resolve() : sink.revoked(id)),
  });
  return {
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    connect: () => inner.connect(),
    publish: (records) => inner.publish(records),
    async subscribe(spec, sink) {
      const sub = await inner.subscribe(spec, sinkOf(sink));
      subs.push(sub);
      return sub;
    },
    health: () => inner.health(),
    close: () => inner.close(),
    async kill() {
      dead = true;
      await Promise.allSettled(subs.map((s) => s.close()));
    },
  };
}

/** The embedded broker, 12 partitions; members are apps in this process. */
export function memoryRig(topic: string, group: string): RebalanceRig {
  const partitions = 12;
  const broker = createMemoryBroker({ defaultPartitions: partitions });
  broker.createTopic(topic, { partitions });
  const apps: { stop(): Promise<void> }[] = [];
  return {
    name: 'memory',
    partitions,
    timeouts: {},
    topic,
    publish: (records) => broker.publish(records),
    async spawn(id, report): Promise<Member> {
      const transport = killable(memoryTransport(broker));
      let alive = true;
      const app = memberApp(transport, topic, group, report, () => alive);
      apps.push(app);
      await app.start();
      report({ t: 'ready', at: wallNow() });
      return {
        id,
        async stop() {
          await app.stop();
          report({ t: 'stopped', at: wallNow() });
          alive = false;
        },
        async kill() {
          alive = false;
          await transport.kill();
          // Free its timers only; its commits go nowhere.
          void app.stop({ drainTimeoutMs: 0 }).catch(() => undefined);
        },
      };
    },
    async close() {
      await Promise.allSettled(apps.map((a) => a.stop()));
      await broker.close();
    },
  };
}
