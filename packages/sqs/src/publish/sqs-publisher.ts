import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { DLQ_HEADERS, MessageRejectedError, type OutboundRecord } from '@partita/core';
import { groupIdOf, MAX_MESSAGE_BYTES, toSqsEntry } from '../envelope/sqs-envelope.js';
import { isMissingQueue, mapSqsError } from '../errors/map-sqs-error.js';
import type { QueueDirectory, QueueRef } from '../queues/queue-directory.js';

/** SQS's limit on entries per SendMessageBatch. */
const BATCH_ENTRIES = 10;
/** Parallel ordered chains per FIFO queue (a key always takes the same chain). */
const FIFO_CHAINS = 8;

interface Batch {
  readonly queue: QueueRef;
  readonly entries: SendMessageBatchRequestEntry[];
  readonly topic: string;
}

/**
 * Publishes to every group queue of a topic (fan-out). Resolves once SQS
 * accepted every entry; a batch with failed entries rejects the publish (the
 * caller retries; FIFO deduplication ids make a retry harmless there).
 *
 * Order: a FIFO queue's batches of one key go out one after another (chains
 * by key), so SQS stores them in publish order; standard queues keep no order.
 * A dead-letter copy (header `partita-dead-letter-reason`) also creates the
 * dead-letter topic's archive queue if it is missing, so it is never dropped.
 */
export class SqsPublisher {
  constructor(
    private readonly client: SQSClient,
    private readonly queues: QueueDirectory,
    private readonly concurrency: number,
    private readonly secrets: readonly string[],
  ) {}

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    const byTopic = new Map<string, OutboundRecord[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    const chains: Batch[][] = [];
    for (const [topic, list] of byTopic) {
      let targets = await this.queues.queuesOf(topic);
      if (targets.length === 0 && list.some((r) => r.headers[DLQ_HEADERS.reason] !== undefined)) {
        await this.queues.ensureArchive(topic, false);
        targets = await this.queues.queuesOf(topic);
      }
      for (const q of targets) chains.push(...this.batchesFor(q, topic, list));
    }
    await this.run(chains);
  }

  /** Batches of ≤ 10 entries and ≤ 256 KiB for one queue, as ordered chains (one per FIFO key chain). */
  private batchesFor(queue: QueueRef, topic: string, list: readonly OutboundRecord[]): Batch[][] {
    const chains = new Map<number, Batch[]>();
    const sizes = new Map<Batch, number>();
    list.forEach((r, i) => {
      const { entry, bytes } = toSqsEntry(r, `m${i}`, queue.fifo);
      const chain = queue.fifo ? chainOf(entry.MessageGroupId ?? groupIdOf(r.key)) : i % BATCH_ENTRIES;
      let batches = chains.get(chain);
      if (!batches) chains.set(chain, (batches = []));
      let last = batches.at(-1);
      if (!last || last.entries.length >= BATCH_ENTRIES || (sizes.get(last) ?? 0) + bytes > MAX_MESSAGE_BYTES) {
        last = { queue, entries: [], topic };
        batches.push(last);
        sizes.set(last, 0);
      }
      last.entries.push(entry);
      sizes.set(last, (sizes.get(last) ?? 0) + bytes);
    });
    // Standard queues: every batch is its own chain (no order to keep).
    return queue.fifo ? [...chains.values()] : [...chains.values()].flat().map((b) => [b]);
  }

  /** Run the chains, at most `concurrency` batches at a time; each chain in order. */
  private async run(chains: Batch[][]): Promise<void> {
    let next = 0;
    let failure: Error | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < chains.length) {
        const chain = chains[next++]!;
        for (const batch of chain) {
          try {
            await this.send(batch);
          } catch (err) {
            failure ??= err instanceof Error ? err : new Error('publish failed', { cause: err });
            return;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chains.length) }, worker));
    if (failure !== undefined) throw failure;
  }

  private async send(batch: Batch): Promise<void> {
    let res;
    try {
      res = await this.client.send(new SendMessageBatchCommand({ QueueUrl: batch.queue.url, Entries: batch.entries }));
    } catch (err) {
      if (isMissingQueue(err)) this.queues.invalidate(batch.topic);
      throw mapSqsError(err, `publish to "${batch.topic}" (queue ${batch.queue.name})`, this.secrets);
    }
    const failed = res.Failed ?? [];
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new MessageRejectedError(
        `publish to "${batch.topic}" (queue ${batch.queue.name}): SQS refused ${failed.length} of ${batch.entries.length} messages (${first.Code ?? 'error'}: ${first.Message ?? ''})`,
      );
    }
  }
}

function chainOf(groupId: string): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  return (h >>> 0) % FIFO_CHAINS;
}
