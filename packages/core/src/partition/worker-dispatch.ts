import type { ExecutorMessage, ExecutorOutcome, SerializedError } from '../executor/executor.js';
import type { OutboundRecord } from '../transport/transport.js';
import { checkFeatures } from '../app/encode-outbound.js';
import type { LaneRef } from '../app/app-types.js';
import type { AttemptScope } from '../instrumentation/instrumentation.js';
import type { LaneAttemptHook } from '../instrumentation/lane-attempt-hook.js';
import type { Entry } from './entry.js';
import type { LaneEntries } from './lane-entries.js';
import type { LaneContext } from './lane-context.js';
import { messageId } from '../message/message.js';

/** How one attempt ended. */
export type AttemptOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

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
 * Runs batches of a lane's ready entries on the executor and returns their
 * outcomes. Under key ordering a key has at most one entry in flight, so a
 * batch never holds two messages of one key and order per key holds across
 * threads.
 */
export class WorkerDispatch {
  private listening: (() => void) | undefined;
  private abandoned = false;
  private readonly codecModule: string | undefined;
  private readonly logBindings: Readonly<Record<string, unknown>>;

  constructor(
    private readonly ref: LaneRef,
    private readonly ctx: LaneContext,
    /** Called once the executor has room again after `room` found it saturated. */
    private readonly onCapacity: () => void,
    private readonly hook: LaneAttemptHook | undefined,
  ) {
    this.logBindings = { ...ref };
    const m = ctx.codec.workerModule;
    this.codecModule = m === undefined ? undefined : String(m);
  }

  saturated(): boolean {
    return this.ctx.executor!.saturated;
  }

  /**
   * The next task's entries: ready entries of `entries`, begun at `now`, as
   * many as `capacity` free slots and the executor's batch size allow; none
   * while the executor is saturated (`onCapacity` is called when it has
   * room again).
   */
  take(entries: LaneEntries, capacity: number, now: number): Entry[] {
    const size = this.room(capacity);
    const batch: Entry[] = [];
    for (let entry; batch.length < size && (entry = entries.scheduler.next()) !== undefined;) {
      entries.begin(entry, now);
      batch.push(entry);
    }
    return batch;
  }

  private room(capacity: number): number {
    const executor = this.ctx.executor!;
    if (capacity <= 0) return 0;
    if (executor.saturated) {
      this.listening ??= executor.onCapacity(() => {
        this.listening?.();
        this.listening = undefined;
        this.onCapacity();
      });
      return 0;
    }
    return Math.min(capacity, Math.max(1, executor.batchSize(this.ctx.handler.name)));
  }

  /**
   * Run the attempts of `entries` (dispatched by the caller) as one task. The
   * outcomes come in entry order; a message whose attempt published records
   * succeeds only once the broker confirmed them (one publish for the task).
   * Undefined once the drain abandoned the lane's outcomes.
   */
  async run(entries: readonly Entry[]): Promise<readonly AttemptOutcome[] | undefined> {
    const hook = this.hook;
    if (hook === undefined) return this.runTask(entries, undefined);
    // Instrumentation: a scope per attempt; its `carry` headers ride with the message to the thread.
    const scopes: (AttemptScope | undefined)[] = [];
    try {
      for (const entry of entries) scopes.push(hook.begin(entry.rec, entry.attemptNo, true));
    } catch (error) {
      // A hook that throws fails the attempts it wraps (the `Instrumentation` contract), as inline.
      for (const scope of scopes) if (scope !== undefined) hook.end(scope, error);
      return entries.map(() => ({ ok: false, error }));
    }
    const outcomes = await this.runTask(entries, scopes);
    scopes.forEach((scope, i) => {
      const o = outcomes?.[i];
      if (scope !== undefined)
        hook.end(scope, o === undefined ? new Error('drain deadline passed') : o.ok ? undefined : o.error);
    });
    return outcomes;
  }

  private async runTask(
    entries: readonly Entry[],
    scopes: readonly (AttemptScope | undefined)[] | undefined,
  ): Promise<readonly AttemptOutcome[] | undefined> {
    const handler = this.ctx.handler;
    const messages: ExecutorMessage[] = entries.map((entry, i) => {
      const rec = entry.rec;
      const carry = scopes?.[i]?.carry;
      return {
        id: messageId(this.ref.topic, this.ref.partition, rec.offset),
        topic: this.ref.topic,
        key: rec.key,
        value: rec.value,
        headers: carry ? { ...rec.headers, ...carry } : rec.headers,
        partition: this.ref.partition,
        offset: rec.offset,
        timestamp: rec.timestamp,
        attempt: entry.attemptNo,
      };
    });
    const trace = entries[0]!.rec.headers.traceparent;
    let outcomes: readonly ExecutorOutcome[];
    try {
      outcomes = await this.ctx.executor!.run({
        handler: handler.name,
        worker: handler.worker!,
        timeoutMs: handler.timeoutMs,
        contentType: this.ctx.codec.contentType,
        messages,
        logBindings: this.logBindings,
        ...(trace ? { trace: { traceparent: trace } } : {}),
        ...(this.codecModule !== undefined ? { codecModule: this.codecModule } : {}),
      });
    } catch (error) {
      if (this.abandoned) return undefined;
      if (this.ctx.events.has('worker.error')) this.ctx.events.emit('worker.error', { handler: handler.name, error });
      return entries.map(() => ({ ok: false, error }));
    }
    if (this.abandoned) return undefined;
    const published = outcomes.flatMap((o) => (o?.ok && o.published !== undefined ? o.published : []));
    const publishError = published.length > 0 ? await this.publish(published) : undefined;
    if (this.abandoned) return undefined;
    return entries.map((_, i): AttemptOutcome => {
      const o = outcomes[i];
      if (o === undefined) return { ok: false, error: new Error('executor returned no outcome for this message') };
      if (!o.ok) return { ok: false, error: reviveError(o.error) };
      if (publishError !== undefined && o.published !== undefined && o.published.length > 0)
        return { ok: false, error: publishError.error };
      return { ok: true };
    });
  }

  /** Publish what the task's attempts produced; the error, if the transport refused it. */
  private async publish(records: readonly OutboundRecord[]): Promise<{ error: unknown } | undefined> {
    try {
      // Workers encode without knowing the transport: what it lacks is refused here, as inline publishes are.
      for (const r of records) checkFeatures(r, this.ctx.transport);
      await this.ctx.transport.publish(records);
      this.ctx.metrics.published += records.length;
      return undefined;
    } catch (error) {
      return { error };
    }
  }

  /** Drain deadline passed: ignore outcomes still to come. */
  abandon(): void {
    this.abandoned = true;
    this.listening?.();
    this.listening = undefined;
  }
}
