import type { Clock } from '@partita/core';
import type { ResolvedTopicOptions } from '../options/broker-options.js';
import { Partition } from './partition.js';
import type { PartitionHooks } from './partition-hooks.js';
import type { Usage } from './stored-record.js';

/** A topic: its partitions, limits and counters. */
export class Topic {
  readonly partitions: Partition[] = [];
  readonly usage: Usage = { bytes: 0, messages: 0 };
  published = 0;
  deadLettered = 0;
  /** Round-robin cursor for keyless records without an explicit partition. */
  rr = 0;
  /** For rate computation in stats. */
  lastPublished = 0;
  lastStatsAt: number;

  constructor(
    readonly name: string,
    readonly options: ResolvedTopicOptions,
    clock: Clock,
    global: Usage,
    hooks: PartitionHooks,
  ) {
    for (let p = 0; p < options.partitions; p++)
      this.partitions.push(new Partition(name, p, clock, [this.usage, global], hooks, options.retention));
    this.lastStatsAt = clock.now();
  }

  get expired(): number {
    let n = 0;
    for (const p of this.partitions) n += p.expiredCount;
    return n;
  }
}
