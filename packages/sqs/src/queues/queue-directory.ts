import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clock } from '@partita/core';
import { isMissingQueue, mapSqsError } from '../errors/map-sqs-error.js';
import { ARCHIVE_GROUP, isFifoQueue, queueNameFor, topicQueuePrefix } from './queue-names.js';

/** One queue of a topic. */
export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

/** Queue tags naming a queue's topic and group in full (a long name is shortened to a hash in the queue name). */
export const TOPIC_TAG = 'partita-topic';
export const GROUP_TAG = 'partita-group';
/** SQS's longest tag value. */
const MAX_TAG_VALUE = 256;

/** Dead letters are kept 14 days, SQS's longest retention. */
const ARCHIVE_RETENTION_SECONDS = 1_209_600;
/** Work queues keep messages 4 days (SQS's default), stated so every queue of a topic agrees. */
const WORK_RETENTION_SECONDS = 345_600;

/** Settings the directory needs. */
export interface QueueDirectoryConfig {
  readonly prefix: string;
  readonly dlqSuffix: string;
  readonly cacheMs: number;
  readonly secrets: readonly string[];
  readonly clock: Clock;
}

/**
 * Finds and creates queues. A topic's group queues are found by the name
 * prefix `<prefix><topic>__` (ListQueues), cached for `cacheMs` (an empty
 * answer is never cached, so a first group is seen at once).
 */
export class QueueDirectory {
  private readonly cache = new Map<string, { readonly at: number; readonly queues: readonly QueueRef[] }>();

  constructor(
    private readonly client: SQSClient,
    private readonly cfg: QueueDirectoryConfig,
  ) {}

  /** The queues of `topic` (every group's, and the archive of a dead-letter topic). */
  async queuesOf(topic: string): Promise<readonly QueueRef[]> {
    const hit = this.cache.get(topic);
    if (hit && this.cfg.clock.now() - hit.at < this.cfg.cacheMs) return hit.queues;
    const prefix = topicQueuePrefix(this.cfg.prefix, topic);
    const queues: QueueRef[] = [];
    let next: string | undefined;
    try {
      do {
        const res = await this.client.send(
          new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, ...(next ? { NextToken: next } : {}) }),
        );
        for (const url of res.QueueUrls ?? []) {
          const name = url.slice(url.lastIndexOf('/') + 1);
          if (name.startsWith(prefix)) queues.push({ name, url, fifo: isFifoQueue(name) });
        }
        next = res.NextToken;
      } while (next);
    } catch (err) {
      throw mapSqsError(err, `list the queues of "${topic}"`, this.cfg.secrets);
    }
    if (queues.length > 0) this.cache.set(topic, { at: this.cfg.clock.now(), queues });
    else this.cache.delete(topic);
    return queues;
  }

  /** Forget what is cached for `topic` (a queue was created or vanished). */
  invalidate(topic: string): void {
    this.cache.delete(topic);
  }

  /**
   * The queue of (topic, group), created if missing, with the archive of
   * `<topic><dlqSuffix>` as its redrive target after `maxReceiveCount` receives.
   */
  async ensureGroupQueue(topic: string, group: string, fifo: boolean, maxReceiveCount: number): Promise<QueueRef> {
    const archive = await this.ensureArchive(`${topic}${this.cfg.dlqSuffix}`, fifo);
    const name = queueNameFor(this.cfg.prefix, topic, group, fifo);
    const ref = await this.ensure(name, fifo, WORK_RETENTION_SECONDS, topic, group);
    const arn = await this.arnOf(archive, topic);
    try {
      await this.client.send(
        new SetQueueAttributesCommand({
          QueueUrl: ref.url,
          Attributes: {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: String(maxReceiveCount) }),
          },
        }),
      );
    } catch (err) {
      throw mapSqsError(err, `set the redrive policy of queue "${name}"`, this.cfg.secrets, topic);
    }
    this.invalidate(topic);
    return ref;
  }

  /** The archive queue of a dead-letter topic (every dead letter, kept 14 days), created if missing. */
  async ensureArchive(dlqTopic: string, fifo: boolean): Promise<QueueRef> {
    const ref = await this.ensure(
      queueNameFor(this.cfg.prefix, dlqTopic, ARCHIVE_GROUP, fifo),
      fifo,
      ARCHIVE_RETENTION_SECONDS,
      dlqTopic,
    );
    this.invalidate(dlqTopic);
    return ref;
  }

  /** The queue, created if missing, tagged with its topic (and group) so the admin can name it. */
  private async ensure(
    name: string,
    fifo: boolean,
    retention: number,
    topic: string,
    group?: string,
  ): Promise<QueueRef> {
    const tags: Record<string, string> = {};
    if (topic.length <= MAX_TAG_VALUE) tags[TOPIC_TAG] = topic;
    if (group !== undefined && group.length <= MAX_TAG_VALUE) tags[GROUP_TAG] = group;
    try {
      const found = await this.client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (found.QueueUrl) return { name, url: found.QueueUrl, fifo };
    } catch (err) {
      if (!isMissingQueue(err)) throw mapSqsError(err, `look up queue "${name}"`, this.cfg.secrets, topic);
    }
    try {
      const created = await this.client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            MessageRetentionPeriod: String(retention),
            ...(fifo ? { FifoQueue: 'true' } : {}),
          },
          tags,
        }),
      );
      return { name, url: created.QueueUrl ?? '', fifo };
    } catch (err) {
      throw mapSqsError(err, `create queue "${name}"`, this.cfg.secrets, topic);
    }
  }

  private async arnOf(q: QueueRef, topic: string): Promise<string> {
    try {
      const res = await this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['QueueArn'] }),
      );
      const arn = res.Attributes?.QueueArn;
      if (!arn) throw new Error(`no QueueArn for "${q.name}"`);
      return arn;
    } catch (err) {
      throw mapSqsError(err, `read the ARN of queue "${q.name}"`, this.cfg.secrets, topic);
    }
  }
}
