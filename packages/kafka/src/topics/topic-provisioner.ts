import type { Admin } from 'kafkajs';
import { TopicNotFoundError } from '@partita/core';
import { mapKafkaError } from '../errors/map-kafka-error.js';

/**
 * Makes sure topics exist before they are used. With `provision` it creates
 * missing ones with explicit partitions and replication factor (kafkajs
 * requires both); otherwise it checks they exist and throws
 * `TopicNotFoundError`. Known topics are cached; concurrent calls share work.
 */
export class TopicProvisioner {
  readonly #known = new Set<string>();
  readonly #pending = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: () => Promise<Admin>,
    private readonly settings: {
      readonly provision: boolean;
      readonly partitions: number;
      readonly replicationFactor: number;
    },
  ) {}

  /** Resolves once every topic exists. */
  async ensure(topics: readonly string[]): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.#known.has(t));
    if (missing.length === 0) return;
    const waits: Promise<void>[] = [];
    const todo: string[] = [];
    for (const t of missing) {
      const p = this.#pending.get(t);
      if (p) waits.push(p);
      else todo.push(t);
    }
    if (todo.length > 0) {
      const work = this.#ensureNow(todo);
      for (const t of todo) this.#pending.set(t, work);
      waits.push(
        work.finally(() => {
          for (const t of todo) this.#pending.delete(t);
        }),
      );
    }
    await Promise.all(waits);
  }

  /** Forget a topic (e.g. after the broker said it does not exist). */
  forget(topic: string): void {
    this.#known.delete(topic);
  }

  async #leaders(admin: Admin, topics: string[]): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (
          meta.length === topics.length &&
          meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
        )
          return;
      } catch (err) {
        if (Date.now() > deadline) throw mapKafkaError(err, `metadata of ${topics.join(', ')}`, topics[0]);
      }
      if (Date.now() > deadline)
        throw mapKafkaError(new Error('no partition leader within 30 s'), `createTopics(${topics.join(', ')})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #ensureNow(topics: string[]): Promise<void> {
    const admin = await this.admin();
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } catch (err) {
      throw mapKafkaError(err, 'listTopics');
    }
    const absent = topics.filter((t) => !existing.has(t));
    if (absent.length > 0) {
      if (!this.settings.provision) throw new TopicNotFoundError(absent[0]!);
      try {
        await admin.createTopics({
          waitForLeaders: false,
          topics: absent.map((topic) => ({
            topic,
            numPartitions: this.settings.partitions,
            replicationFactor: this.settings.replicationFactor,
          })),
        });
      } catch (err) {
        throw mapKafkaError(err, `createTopics(${absent.join(', ')})`);
      }
      // Another client may be creating the same topics: wait until every partition has a leader.
      await this.#leaders(admin, absent);
    }
    for (const t of topics) this.#known.add(t);
  }
}
