import type { JetStreamManager } from '@nats-io/jetstream';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { ConfigError, TopicNotFoundError } from '@partita/core';
import { mapNatsError } from '../errors/map-nats-error.js';
import type { ResolvedNatsOptions } from '../options/nats-transport-options.js';

/**
 * A stream name from a topic: characters NATS forbids in names (`. * > / \`
 * and spaces) become `_`. Not injective (`a.b` and `a_b` share `a_b`): the
 * provisioner refuses a topic whose stream name is taken by a stream that does
 * not capture it, with a `ConfigError`.
 */
export function streamNameFor(topic: string, prefix = ''): string {
  return prefix + topic.replace(/[.*>/\\\s]/g, '_');
}

/** Validate a topic as a NATS subject: non-empty tokens, no wildcards, no whitespace. */
export function assertTopic(topic: string): void {
  if (
    typeof topic !== 'string' ||
    topic.length === 0 ||
    /[\s*>]/.test(topic) ||
    topic.split('.').some((t) => t === '')
  ) {
    throw new TypeError(
      `NATS topic must be a subject like "orders" or "orders.eu" (no wildcards, spaces or empty tokens), got ${JSON.stringify(topic)}`,
    );
  }
}

const retentionOf = {
  limits: RetentionPolicy.Limits,
  workqueue: RetentionPolicy.Workqueue,
  interest: RetentionPolicy.Interest,
} as const;

/**
 * Finds or creates the stream that captures a topic's subject, once per topic.
 *
 * Per-topic mode (default): a topic's stream is named after the topic and
 * captures `<topic>` and `<topic><dlqSuffix>`, so the dead-letter subject
 * lives beside its topic. An existing stream capturing the subject is used
 * as is. Shared mode (`stream` option): every topic binds to that stream.
 */
export class StreamProvisioner {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly o: ResolvedNatsOptions,
  ) {}

  /** The stream capturing `topic`; creates it when allowed. Rejects with `TopicNotFoundError` otherwise. */
  streamFor(topic: string): Promise<string> {
    let p = this.cache.get(topic);
    if (!p) {
      p = this.resolve(topic);
      this.cache.set(topic, p);
      p.catch(() => this.cache.delete(topic));
    }
    return p;
  }

  /** Forget cached lookups (after a stream was deleted externally). */
  forget(topic?: string): void {
    if (topic === undefined) this.cache.clear();
    else this.cache.delete(topic);
  }

  private async resolve(topic: string): Promise<string> {
    assertTopic(topic);
    if (this.o.stream !== undefined) {
      try {
        await this.jsm.streams.info(this.o.stream);
      } catch (err) {
        if ((err as Error).name === 'StreamNotFoundError') {
          throw new ConfigError(
            `natsTransport: the stream named by option "stream" does not exist; create it with subjects covering "${topic}"`,
            { cause: err },
          );
        }
        throw mapNatsError(err, `stream info "${this.o.stream}"`);
      }
      return this.o.stream;
    }
    const found = await this.find(topic);
    if (found !== undefined) return found;
    if (!this.o.autoCreateStreams) throw new TopicNotFoundError(topic);
    const name = streamNameFor(topic, this.o.streamPrefix);
    const subjects = topic.endsWith(this.o.dlqSuffix) ? [topic] : [topic, topic + this.o.dlqSuffix];
    try {
      await this.create(name, subjects);
    } catch (err) {
      const again = await this.find(topic);
      if (again !== undefined) return again;
      if (subjects.length > 1 && /overlap/i.test((err as Error).message)) {
        // The dead-letter subject already belongs to another stream: capture the topic alone.
        await this.create(name, [topic]).catch(async (e2: unknown) => {
          const third = await this.find(topic);
          if (third === undefined) throw mapNatsError(e2, `create stream "${name}"`);
        });
        return (await this.find(topic)) ?? name;
      }
      if (/already in use/i.test((err as Error).message)) throw await this.collision(topic, name, err);
      throw mapNatsError(err, `create stream "${name}"`);
    }
    return name;
  }

  /** The error for a stream name already taken by a stream of another topic. */
  private async collision(topic: string, name: string, cause: unknown): Promise<ConfigError> {
    const subjects = await this.jsm.streams.info(name).then(
      (i) => i.config.subjects ?? [],
      () => [],
    );
    return new ConfigError(
      `NATS topic "${topic}" maps to stream name "${name}", which already belongs to a stream capturing ${JSON.stringify(subjects)}: ` +
        'topic names that differ only in ".", "_", "/", "\\" map to the same stream name; rename one topic or create a stream for it yourself',
      { cause },
    );
  }

  private async create(name: string, subjects: string[]): Promise<void> {
    await this.jsm.streams.add({
      name,
      subjects,
      retention: retentionOf[this.o.retention],
      storage: this.o.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: this.o.replicas,
    });
  }

  private async find(topic: string): Promise<string | undefined> {
    try {
      return await this.jsm.streams.find(topic);
    } catch (err) {
      if (/no stream matches subject|not found/i.test((err as Error).message)) return undefined;
      throw mapNatsError(err, `find the stream of "${topic}"`);
    }
  }
}
