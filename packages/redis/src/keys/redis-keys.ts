import { ConfigError, validateTopicName } from '@partita/core';

/**
 * Key names of one prefix. Cluster-safe: every script and transaction
 * touches keys of one hash tag, so of one slot. `{<topic>:<partition>}`
 * tags what belongs to a partition: its stream, its delayed set, and each
 * group's lease and fence key of it (a fenced read watches the lease and
 * reads the stream); `{<topic>|<group>}` tags a group's member set;
 * `{<topic>}` the topic's partition count.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The stream of one partition. */
  stream(topic: string, partition: number): string {
    return `${this.prefix}{${topic}:${partition}}`;
  }

  /** Delayed entries of one partition (sorted set of ids by due time) and their fields (hash). */
  delayed(topic: string, partition: number): string {
    return `${this.prefix}{${topic}:${partition}}:delayed`;
  }

  delayedData(topic: string, partition: number): string {
    return `${this.prefix}{${topic}:${partition}}:delayed-data`;
  }

  /** The topic's partition count. */
  meta(topic: string): string {
    return `${this.prefix}{${topic}}:meta`;
  }

  /** Live members of a group on a topic (sorted set: consumer name by lease expiry). */
  members(topic: string, group: string): string {
    return `${this.prefix}{${topic}|${group}}:members`;
  }

  /** A group's lease of one partition: the owner's consumer name, expiring unless renewed. In the partition's slot. */
  lease(topic: string, group: string, partition: number): string {
    return `${this.prefix}{${topic}:${partition}}:lease:${group}`;
  }

  /**
   * The fence key of one partition's lease: a lane's reads watch it with the
   * lease, and the fence check writes it (briefly) when the lease is not the
   * reader's, so the read does not run.
   */
  fence(topic: string, group: string, partition: number): string {
    return `${this.prefix}{${topic}:${partition}}:fence:${group}`;
  }
}

/** Topic names Redis can key: the shared rules, and no braces (they would break the hash tags). */
export function assertRedisTopic(topic: unknown): asserts topic is string {
  validateTopicName(topic, {
    broker: 'Redis',
    check: (name) =>
      /[{}|]/.test(name) ? 'it contains "{", "}" or "|", which partita uses in Redis key names' : undefined,
  });
}

/** Group names Redis can key (no braces, no "|"). */
export function assertRedisGroup(group: string): void {
  if (/[{}|\s]/.test(group))
    throw new ConfigError(
      `Redis consumer group names may not contain braces, "|" or whitespace, got ${JSON.stringify(group)}`,
    );
}
