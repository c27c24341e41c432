import type { Message as KafkaMessage, TopicMessages } from 'kafkajs';

/** The most a fold of publishes carries, estimated from the records' sizes (Kafka's default record batch limit is 1 MiB). */
export const FOLD_BYTES = 512 * 1024;

/** One `publish` call's records by topic, and their estimated size. */
export interface PublishBatch {
  readonly topicMessages: readonly TopicMessages[];
  readonly bytes: number;
}

interface Waiting {
  readonly batch: PublishBatch;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * kafkajs' idempotent producer sends one Produce request at a time to a
 * broker (it holds a lock per broker for the sequence numbers): concurrent
 * `sendBatch` calls wait for each other and each goes out as a request of its
 * own, so a burst of publishes queues up behind the broker's round trip. The
 * queue sends a publish at once when nothing is in flight; the publishes
 * that arrive meanwhile wait and go out together, in their order, as one
 * `sendBatch` (up to `maxBytes`), as the Java producer's accumulator does.
 *
 * Each publish gets the outcome of the request that carried it. An error
 * `shared(err)` says concerns the connection is every publish's; any other
 * failure of a request of several publishes (an unknown topic, a record
 * the broker refused) sends each of them again on its own, so one
 * publish's error never becomes another's.
 */
export class ProduceQueue {
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly send: (topicMessages: TopicMessages[]) => Promise<void>,
    private readonly shared: (err: unknown) => boolean,
    private readonly maxBytes = FOLD_BYTES,
  ) {}

  publish(batch: PublishBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length > 0) {
        const fold = this.take();
        try {
          await this.send(merge(fold));
          for (const w of fold) w.resolve();
        } catch (err) {
          if (fold.length === 1 || this.shared(err)) for (const w of fold) w.reject(err);
          else for (const w of fold) await this.send(merge([w])).then(w.resolve, w.reject);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** The publishes of the next request: the oldest, and those after it while they fit in `maxBytes`. */
  private take(): Waiting[] {
    let bytes = this.waiting[0]!.batch.bytes;
    let n = 1;
    while (n < this.waiting.length && bytes + this.waiting[n]!.batch.bytes <= this.maxBytes) {
      bytes += this.waiting[n]!.batch.bytes;
      n++;
    }
    return this.waiting.splice(0, n);
  }
}

/** The publishes' records by topic, each topic's in publish order. */
function merge(fold: readonly Waiting[]): TopicMessages[] {
  if (fold.length === 1) return [...fold[0]!.batch.topicMessages];
  const byTopic = new Map<string, KafkaMessage[]>();
  for (const w of fold) {
    for (const { topic, messages } of w.batch.topicMessages) {
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [...messages]);
      else list.push(...messages);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
