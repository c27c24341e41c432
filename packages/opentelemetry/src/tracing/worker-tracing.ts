import { ROOT_CONTEXT, context, propagation, trace } from '@opentelemetry/api';
import type { Headers, Message, PublishMessage } from '@partita/core';

/** The parts of a worker handler's context (`@partita/worker-pool`'s `WorkerHandlerContext`) this reads. */
export interface TracedWorkerContext {
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly handler: string;
  readonly logger: unknown;
  readonly trace: Readonly<Headers> | undefined;
  readonly threadId: number;
  publish(messages: PublishMessage | readonly PublishMessage[]): Promise<void>;
}

/** A worker module's default export. */
export type TracedWorkerHandler = (msg: Message, ctx: TracedWorkerContext) => unknown;

/**
 * The worker-thread half of tracing: the default export of a worker pool's
 * `setup` module (`workerPool({ setup })`), next to the thread's own tracer
 * provider, context manager and propagator registration. Each handler runs
 * with the runtime's `process` span (shipped in `ctx.trace`) as its active
 * context, so spans it starts are children of it; what it publishes carries
 * the active context in its headers.
 *
 * @example
 *   // otel-worker-setup.mjs
 *   provider.register(); // your SDK setup for this thread
 *   export default workerTracing();
 */
export function workerTracing(): (handler: TracedWorkerHandler) => TracedWorkerHandler {
  return (handler) => (msg, ctx) => {
    const parent = ctx.trace ? propagation.extract(ROOT_CONTEXT, ctx.trace) : context.active();
    if (trace.getSpan(parent) === undefined) return handler(msg, ctx);
    const traced: TracedWorkerContext = {
      get signal() {
        return ctx.signal;
      },
      attempt: ctx.attempt,
      handler: ctx.handler,
      logger: ctx.logger,
      trace: ctx.trace,
      threadId: ctx.threadId,
      publish(messages) {
        const carrier: Headers = {};
        propagation.inject(context.active(), carrier);
        const add = (m: PublishMessage): PublishMessage => ({ ...m, headers: { ...m.headers, ...carrier } });
        return ctx.publish(Array.isArray(messages) ? messages.map(add) : add(messages as PublishMessage));
      },
    };
    return context.with(parent, () => handler(msg, traced));
  };
}
