import type { ExecutorMessage, ExecutorOutcome, SerializedError } from '../executor/executor.js';
import type { OutboundRecord } from '../transport/transport.js';
import { checkFeatures } from '../app/encode-outbound.js';
import type { Entry } from './entry.js';
import type { LaneContext } from './lane-context.js';

/** The part of a partition actor that worker dispatch drives. */
export interface WorkerLane {
  readonly ref: { readonly topic: string; readonly partition: number };
  takeForWorker(): Entry | undefined;
  complete(entry: Entry, gen: number, ok: boolean, err: unknown): void;
  pump(): void;
}

/** Rebuild an Error from an outcome that crossed the thread boundary. */
export function reviveError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: string; retryable: boolean };
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code) err.code = e.code;
  err.retryable = e.retryable;
  return err;
}

/**
 * Ships batches of a lane's ready entries to the executor. Under key
 * ordering a key has at most one entry in flight, so a batch never holds two
 * messages of one key and order per key holds across threads.
 */
export class WorkerDispatch {
  private listening: (() => void) | undefined;
  private abandoned = false;

  private readonly codecModule: string | undefined;

  constructor(
    private readonly lane: WorkerLane,
    private readonly ctx: LaneContext,
  ) {
    const m = ctx.codec.workerModule;
    this.codecModule = m === undefined ? undefined : String(m);
  }

  saturated(): boolean {
    return this.ctx.executor!.saturated;
  }

  dispatch(capacity: number): void {
    const executor = this.ctx.executor!;
    const handler = this.ctx.handler;
    while (capacity > 0) {
      if (executor.saturated) {
        this.listening ??= executor.onCapacity(() => {
          this.listening?.();
          this.listening = undefined;
          this.lane.pump();
        });
        return;
      }
      const size = Math.min(capacity, Math.max(1, executor.batchSize(handler.name)));
      const entries: Entry[] = [];
      const messages: ExecutorMessage[] = [];
      while (entries.length < size) {
        const entry = this.lane.takeForWorker();
        if (entry === undefined) break;
        entries.push(entry);
        const rec = entry.rec;
        messages.push({
          id: `${this.lane.ref.topic}/${this.lane.ref.partition}/${rec.offset}`,
          topic: this.lane.ref.topic,
          key: rec.key,
          value: rec.value,
          headers: rec.headers,
          partition: this.lane.ref.partition,
          offset: rec.offset,
          timestamp: rec.timestamp,
          attempt: entry.attempt,
        });
      }
      if (entries.length === 0) return;
      capacity -= entries.length;
      const gens = entries.map((e) => e.gen);
      const trace = entries[0]!.rec.headers.traceparent;
      executor
        .run({
          handler: handler.name,
          worker: handler.worker!,
          timeoutMs: handler.timeoutMs,
          contentType: this.ctx.codec.contentType,
          messages,
          ...(trace ? { trace: { traceparent: trace } } : {}),
          ...(this.codecModule !== undefined ? { codecModule: this.codecModule } : {}),
        })
        .then(
          (outcomes: readonly ExecutorOutcome[]) => {
            if (this.abandoned) return;
            const publishing: number[] = [];
            entries.forEach((entry, i) => {
              const o = outcomes[i];
              if (o === undefined)
                this.lane.complete(entry, gens[i]!, false, new Error('executor returned no outcome for this message'));
              else if (!o.ok) this.lane.complete(entry, gens[i]!, false, reviveError(o.error));
              else if (o.published !== undefined && o.published.length > 0) publishing.push(i);
              else this.lane.complete(entry, gens[i]!, true, undefined);
            });
            if (publishing.length > 0)
              this.publishThenComplete(
                publishing.map((i) => ({
                  entry: entries[i]!,
                  gen: gens[i]!,
                  records: (outcomes[i] as { published: readonly OutboundRecord[] }).published,
                })),
              );
          },
          (err: unknown) => {
            if (this.abandoned) return;
            if (this.ctx.events.has('worker.error'))
              this.ctx.events.emit('worker.error', { handler: handler.name, error: err });
            entries.forEach((entry, i) => this.lane.complete(entry, gens[i]!, false, err));
          },
        );
    }
  }

  /**
   * Messages whose attempts published records: one publish for the whole
   * task, and only once the broker confirmed it do they succeed; a failed
   * publish fails each of them (retry or dead-letter as configured).
   */
  private publishThenComplete(
    done: readonly { entry: Entry; gen: number; records: readonly OutboundRecord[] }[],
  ): void {
    const records = done.flatMap((d) => d.records);
    try {
      // Workers encode without knowing the transport: what it lacks is refused here, as inline publishes are.
      for (const r of records) checkFeatures(r, this.ctx.transport);
    } catch (err) {
      for (const d of done) this.lane.complete(d.entry, d.gen, false, err);
      return;
    }
    this.ctx.transport.publish(records).then(
      () => {
        this.ctx.metrics.published += records.length;
        for (const d of done) this.lane.complete(d.entry, d.gen, true, undefined);
      },
      (err: unknown) => {
        for (const d of done) this.lane.complete(d.entry, d.gen, false, err);
      },
    );
  }

  /** Drain deadline passed: ignore outcomes still to come. */
  abandon(): void {
    this.abandoned = true;
    this.listening?.();
    this.listening = undefined;
  }
}
