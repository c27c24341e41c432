import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  MessageRejectedError,
  type Clock,
  type Logger,
  type InboundRecord,
  type LaneId,
  type LaneSink,
  type MessageLaneHandle,
  type TimerHandle,
} from '@partita/core';
import { ENVELOPE_ATTRIBUTE, envelopeOf, fromSqsMessage } from '../envelope/sqs-envelope.js';
import { mapSqsError } from '../errors/map-sqs-error.js';
import { DeleteBatcher } from './delete-batcher.js';

/** Settings of one SQS lane. */
export interface SqsLaneConfig {
  readonly id: LaneId;
  readonly queueUrl: string;
  readonly queueName: string;
  /** A FIFO queue: a delayed retry is a copy in a message group of its own (see {@link SqsLane.nack}). */
  readonly fifo: boolean;
  readonly maxInFlight: number;
  readonly maxReceives: number;
  readonly waitTimeSeconds: number;
  readonly visibilitySeconds: number;
  /** The runtime's attempt limit and the redrive policy's `maxReceiveCount`. */
  readonly maxAttempts: number;
  readonly maxReceiveCount: number;
  readonly secrets: readonly string[];
  readonly clock: Clock;
  /** The connector's logger. */
  readonly log: Logger;
}

interface Held {
  readonly message: SqsMessage;
  readonly receipt: string;
  extendedAt: number;
}

/** SQS's longest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;
const BATCH = 10;
/** How long a FIFO lane waits for 10 free slots while held messages settle. */
const FILL_WAIT_MS = 1000;

/**
 * One lane over one group queue: up to `maxReceives` long polls in flight
 * (never asking for more than `maxInFlight` minus what is held; on a FIFO
 * queue for 10 at a time while held messages settle), deletes
 * batched by {@link DeleteBatcher}, the visibility of held messages extended
 * every third of the timeout, and a delayed retry as a visibility change.
 *
 * Contract: records reach the sink in the order of each receive's answer;
 * `settle`/`nack` of a record the lane no longer holds are ignored. After
 * `stopPulling()` nothing is delivered; `release()` makes every held message
 * visible again at once, so another member takes it.
 *
 * Attempts are SQS's `ApproximateReceiveCount`; a message handed back at
 * stop counts one receive without a run. On the last receive the redrive
 * policy allows, the record is reported as its final attempt (`maxAttempts`),
 * so a failure is dead-lettered by the runtime, with every header.
 */
export class SqsLane implements MessageLaneHandle {
  readonly ackModel = 'message';
  readonly id: LaneId;
  private sink: LaneSink | undefined;
  private readonly held = new Map<string, Held>();
  private readonly deletes: DeleteBatcher;
  private readonly abort = new AbortController();
  private readonly receives = new Set<Promise<void>>();
  private requested = 0;
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private heartbeat: TimerHandle | undefined;
  private failures = 0;
  /** Fewest messages a FIFO receive asks for while held messages settle (see {@link run}). */
  private readonly least: number;
  private lastSettleAt = Number.NEGATIVE_INFINITY;
  private fillTimer: TimerHandle | undefined;
  /** Last receive failure, for health; cleared by a successful receive. */
  lastError: string | undefined;
  delivered = 0;

  constructor(
    private readonly client: SQSClient,
    private readonly cfg: SqsLaneConfig,
  ) {
    this.id = cfg.id;
    // Every open receive listens on the one signal: more than Node's default 10 is expected, not a leak.
    setMaxListeners(cfg.maxReceives + 10, this.abort.signal);
    this.least = cfg.fifo ? Math.min(BATCH, cfg.maxInFlight) : 1;
    this.deletes = new DeleteBatcher(client, cfg.queueUrl, `ack on "${cfg.id.topic}"`, cfg.secrets);
  }

  get heldCount(): number {
    return this.held.size;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Begin receiving into `sink`. */
  start(sink: LaneSink): void {
    this.sink = sink;
    this.scheduleHeartbeat();
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.poke();
  }

  async settle(records: readonly InboundRecord[], _outcome: 'ack' | 'term'): Promise<void> {
    // Both outcomes delete: a dead-lettered record's copy is already confirmed in the dead-letter queue.
    const receipts: string[] = [];
    for (const r of records) {
      const h = this.held.get(r.offset);
      if (!h) continue;
      this.held.delete(r.offset);
      receipts.push(h.receipt);
    }
    this.lastSettleAt = this.cfg.clock.now();
    this.poke();
    if (receipts.length > 0) await this.deletes.delete(receipts);
  }

  /**
   * Delayed retry. Standard queue: the message's visibility timeout becomes
   * the delay. FIFO queue: hiding the message would hold its whole key (SQS
   * delivers no later message of a group while one is in flight), so a copy
   * goes to the queue in a message group of its own, carrying its attempt and
   * due time, and the original is deleted once the copy is confirmed; a copy
   * received early is hidden until it is due.
   */
  async nack(record: InboundRecord, delayMs: number): Promise<void> {
    const h = this.held.get(record.offset);
    if (!h) return;
    const seconds = Math.ceil(Math.max(0, delayMs) / 1000);
    if (seconds > MAX_VISIBILITY_SECONDS)
      throw new MessageRejectedError(
        `delayed retry on "${this.id.topic}": ${delayMs} ms is over SQS's 12-hour visibility limit`,
      );
    if (this.cfg.fifo) return this.retryCopy(record, h, delayMs);
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.cfg.queueUrl,
          ReceiptHandle: h.receipt,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (err) {
      throw mapSqsError(err, `delayed retry on "${this.id.topic}"`, this.cfg.secrets);
    }
    this.held.delete(record.offset);
    this.poke();
  }

  private async retryCopy(record: InboundRecord, h: Held, delayMs: number): Promise<void> {
    const envelope = envelopeOf(h.message);
    if (!envelope) throw new MessageRejectedError(`delayed retry on "${this.id.topic}": not a partita message`);
    const copy = { ...envelope, a: (record.deliveryCount ?? 1) + 1, nb: this.cfg.clock.now() + delayMs };
    const id = randomUUID();
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.cfg.queueUrl,
          MessageBody: h.message.Body ?? '',
          MessageAttributes: { [ENVELOPE_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(copy) } },
          MessageGroupId: `retry:${id}`,
          MessageDeduplicationId: id,
        }),
      );
      this.held.delete(record.offset);
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.cfg.queueUrl, ReceiptHandle: h.receipt }));
    } catch (err) {
      throw mapSqsError(err, `delayed retry on "${this.id.topic}"`, this.cfg.secrets);
    } finally {
      this.poke();
    }
  }

  /** Stop receiving: open long polls are cancelled; held records stay settleable. */
  async stopPulling(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.fillTimer !== undefined) this.cfg.clock.clearTimeout(this.fillTimer);
    this.fillTimer = undefined;
    this.poke();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.receives]);
  }

  /** After revocation: what the runtime did not settle becomes visible again now; the heartbeat stops. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat !== undefined) this.cfg.clock.clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    const receipts = [...this.held.values()].map((h) => h.receipt);
    this.held.clear();
    await this.changeVisibility(receipts, 0).catch(() => undefined); // failing that, the timeout hands them back
    await this.deletes.flush().catch(() => undefined);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms > 0) this.cfg.clock.setTimeout(() => this.poke(), ms);
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const credit = this.cfg.maxInFlight - this.held.size - this.requested;
      if (this.paused || credit < 1 || this.receives.size >= this.cfg.maxReceives) {
        await this.sleep(0);
        continue;
      }
      // FIFO: a receive locks the message group of every message it returns until they are deleted,
      // so one asking for the few that are free splits a key's run into more round trips. While held
      // messages settle, wait until 10 are free; after a second without a settle, take what is free.
      if (credit < this.least && this.cfg.clock.now() - this.lastSettleAt < FILL_WAIT_MS) {
        this.fillTimer ??= this.cfg.clock.setTimeout(() => {
          this.fillTimer = undefined;
          this.poke();
        }, FILL_WAIT_MS);
        await this.sleep(0);
        continue;
      }
      const ask = Math.min(BATCH, credit);
      this.requested += ask;
      const p: Promise<void> = this.receive(ask).finally(() => {
        this.requested -= ask;
        this.receives.delete(p);
        this.poke();
      });
      this.receives.add(p);
      if (this.failures > 0) {
        // Failing receives back off (a finished receive's poke does not cut the wait short).
        const until = this.cfg.clock.now() + Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
        while (!this.stopped && this.cfg.clock.now() < until) await this.sleep(until - this.cfg.clock.now());
      }
    }
  }

  private async receive(max: number): Promise<void> {
    let messages: SqsMessage[];
    try {
      const res = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.cfg.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: this.cfg.waitTimeSeconds,
          VisibilityTimeout: this.cfg.visibilitySeconds,
          MessageAttributeNames: [ENVELOPE_ATTRIBUTE, 'All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          AttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      messages = res.Messages ?? [];
      this.failures = 0;
      this.lastError = undefined;
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      const error = mapSqsError(err, `receive from "${this.cfg.queueName}"`, this.cfg.secrets);
      this.lastError = error.message;
      // The first failure of a run at warn, the repeats (one per poll) at debug.
      this.cfg.log[this.failures === 1 ? 'warn' : 'debug'](
        { queue: this.cfg.queueName, failures: this.failures, err: error },
        'SQS receive failed; polling again',
      );
      return;
    }
    if (messages.length === 0) return;
    if (this.stopped) {
      await this.changeVisibility(
        messages.map((m) => m.ReceiptHandle ?? ''),
        0,
      ).catch(() => undefined);
      return;
    }
    const now = this.cfg.clock.now();
    const records: InboundRecord[] = [];
    const early: SqsMessage[] = [];
    for (const m of messages) {
      const envelope = envelopeOf(m);
      if (envelope?.nb !== undefined && envelope.nb > now) {
        early.push(m);
        continue;
      }
      const r = fromSqsMessage(m, envelope);
      this.held.set(r.offset, { message: m, receipt: m.ReceiptHandle ?? '', extendedAt: now });
      const count = r.deliveryCount ?? 1;
      const last = count >= this.cfg.maxReceiveCount;
      records.push(last ? { ...r, deliveryCount: Math.max(count, this.cfg.maxAttempts) } : r);
    }
    for (const m of early) void this.hideUntilDue(m, envelopeOf(m)?.nb ?? now, now);
    this.delivered += records.length;
    if (records.length > 0) this.sink?.deliver(records);
  }

  /** A retry copy received before it is due: invisible until then (it is alone in its message group). */
  private async hideUntilDue(m: SqsMessage, due: number, now: number): Promise<void> {
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil((due - now) / 1000));
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.cfg.queueUrl,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (err) {
      const error = mapSqsError(err, `delay a retry on "${this.cfg.queueName}"`, this.cfg.secrets);
      this.lastError = error.message;
      this.cfg.log.warn({ queue: this.cfg.queueName, err: error }, 'SQS could not hide a retry copy until it is due');
    }
  }

  /** ChangeMessageVisibilityBatch in chunks of 10. */
  private async changeVisibility(receipts: readonly string[], seconds: number): Promise<void> {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < receipts.length; i += BATCH) {
      const chunk = receipts.slice(i, i + BATCH);
      sends.push(
        this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.cfg.queueUrl,
            Entries: chunk.map((receipt, j) => ({ Id: `v${j}`, ReceiptHandle: receipt, VisibilityTimeout: seconds })),
          }),
        ),
      );
    }
    await Promise.all(sends);
  }

  /**
   * Every quarter of the visibility timeout, extend every message held for
   * more than a second since its last extension, so a busy event loop (a late
   * tick) still extends well before the timeout runs out.
   */
  private scheduleHeartbeat(): void {
    const every = Math.max(250, Math.floor((this.cfg.visibilitySeconds * 1000) / 4));
    this.heartbeat = this.cfg.clock.setTimeout(() => {
      const now = this.cfg.clock.now();
      const due = [...this.held.values()].filter((h) => now - h.extendedAt >= 1000);
      for (const h of due) h.extendedAt = now;
      void this.changeVisibility(
        due.map((h) => h.receipt),
        this.cfg.visibilitySeconds,
      ).catch((err: unknown) => {
        const error = mapSqsError(err, `extend visibility on "${this.cfg.queueName}"`, this.cfg.secrets);
        this.lastError = error.message;
        this.cfg.log.warn(
          { queue: this.cfg.queueName, err: error },
          'SQS visibility extension failed; held messages may be redelivered',
        );
      });
      if (this.heartbeat !== undefined) this.scheduleHeartbeat();
    }, every);
  }
}
