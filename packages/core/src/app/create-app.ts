import { systemClock } from '../clock/clock.js';
import { jsonCodec } from '../codec/codec.js';
import { ClosedError, ConfigError } from '../errors/partita-error.js';
import { Emitter } from '../events/emitter.js';
import type { AnyHandlerDefinition } from '../handler/handler.js';
import type { PublishMessage } from '../message/message.js';
import { Metrics } from '../metrics/metrics.js';
import { LazyChildLogger } from '../logger/lazy-child-logger.js';
import { compose } from '../middleware/middleware.js';
import { AppAdmission } from '../partition/admission.js';
import type { LaneContext } from '../partition/lane-context.js';
import { PartitionActor } from '../partition/partition-actor.js';
import type {
  HealthReport,
  LaneHandle,
  LaneId,
  OutboundRecord,
  Subscription,
  SubscriptionSink,
} from '../transport/transport.js';
import type { App, AppEvents, AppOptions, AppSnapshot, StopOptions } from './app-types.js';
import { encodeOutbound } from './encode-outbound.js';
import { envDefaults } from './env-defaults.js';
import { FinishedLanes } from './finished-lanes.js';
import { LaneControl } from './lane-control.js';
import { redact } from '../redact/redact.js';
import { optionError } from '../options/option-error.js';
import { deadLetterTopicOf, validateAppOptions, validateDeadLetterTopics } from './validate-app-options.js';
import { installSignalHandlers } from './stop-on-signals.js';
import { InstrumentedTransport } from '../instrumentation/instrumented-transport.js';
import { combineAttemptHooks } from '../instrumentation/instrumentation.js';
import { checkInstrumentation } from '../instrumentation/check-instrumentation.js';

const laneKey = (handler: string, id: LaneId): string => `${handler}\u0000${id.topic}\u0000${id.partition}`;

/**
 * Create an app: handlers bound to a transport. Nothing connects until
 * `start()`. Options are validated here, so a worker handler without an
 * executor or a duplicate handler name is a `ConfigError` now, not later.
 */
export function createApp(options: AppOptions): App {
  validateAppOptions(options);
  const fromEnvironment = envDefaults(options, options.env ?? process.env);
  const instrumentation = checkInstrumentation(options.instrumentation);
  const transport = instrumentation.some((i) => i.publish !== undefined)
    ? new InstrumentedTransport(options.transport, instrumentation)
    : options.transport;
  const attemptHook = combineAttemptHooks(instrumentation);
  const middleware = options.middleware ?? [];
  const handlers = fromEnvironment.handlers;
  const codec = options.codec ?? jsonCodec;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = fromEnvironment.logger;
  const dlqSuffix = fromEnvironment.dlqSuffix;
  validateDeadLetterTopics(handlers, dlqSuffix);
  const maxBufferedBytes = options.maxBufferedBytes ?? 16 * 2 ** 20;
  const admission = new AppAdmission(options.maxHeldMessages ?? 16_384, clock);
  const executor = options.executor;
  options.transport.attach?.({ logger });
  executor?.attach?.({ logger });
  const events = new Emitter<AppEvents>((event, err) => logger.error({ event, err }, 'event listener threw'));
  const metrics = new Metrics();
  const lanes = new Map<string, PartitionActor>();
  const laneControl = new LaneControl(() => lanes.values());
  const subscriptions: Subscription[] = [];
  let state: AppSnapshot['state'] = 'created';
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let drainTimeoutMs = 10_000;
  /** Set synchronously by `stop()`/a signal: readiness is false from that moment, before anything awaits. */
  let stopRequested = false;

  const encode = (m: PublishMessage): OutboundRecord => encodeOutbound(m, codec, transport);

  const publish = async (messages: PublishMessage | readonly PublishMessage[]): Promise<void> => {
    // Publishing works while lanes drain (a handler mid-flight during stop() still produces its output);
    // it ends when the transport closes.
    if (state === 'stopped') throw new ClosedError('publish: the app is stopped');
    const list = Array.isArray(messages) ? (messages as readonly PublishMessage[]) : [messages as PublishMessage];
    if (list.length === 0) return;
    const records = list.map(encode);
    await transport.publish(records);
    metrics.published += records.length;
  };

  const sinkFor = (handler: AnyHandlerDefinition): SubscriptionSink => {
    const ctx: LaneContext = {
      handler,
      handle: handler.handle ? compose(middleware, handler.handle as never) : undefined,
      attemptHook,
      codec,
      clock,
      random,
      transport,
      executor,
      logger,
      events,
      metrics,
      dlqTopic: deadLetterTopicOf(handler, dlqSuffix),
      maxBufferedBytes,
      admission,
      maxBufferedMessages: Math.max(2048, handler.maxInFlight * 8),
      publish,
    };
    return {
      assigned(lane: LaneHandle) {
        const { group, topic, partition } = lane.id;
        const laneLogger = new LazyChildLogger(logger, { handler: handler.name, group, topic, partition });
        const actor = new PartitionActor(lane, { ...ctx, logger: laneLogger });
        lanes.set(laneKey(handler.name, lane.id), actor);
        laneControl.assigned(actor);
        if (events.has('lane.assigned')) events.emit('lane.assigned', { lane: actor.ref });
        return actor;
      },
      async revoked(id: LaneId) {
        const key = laneKey(handler.name, id);
        const actor = lanes.get(key);
        if (!actor) return;
        await actor.drain(drainTimeoutMs);
        if (lanes.get(key) === actor) lanes.delete(key);
        finished.push(actor.snapshot());
        if (events.has('lane.revoked')) events.emit('lane.revoked', { lane: actor.ref });
      },
    };
  };
  const finished = new FinishedLanes();

  const start = (): Promise<void> =>
    (starting ??= (async () => {
      if (state !== 'created') throw new ClosedError('start: an app starts once; create a new app to start again');
      state = 'starting';
      try {
        await transport.connect();
        await executor?.start();
        for (const handler of handlers) {
          subscriptions.push(
            await transport.subscribe(
              {
                group: handler.group,
                topic: handler.topic,
                handler: handler.name,
                maxInFlight: handler.maxInFlight,
                timeoutMs: handler.timeoutMs,
                maxAttempts: handler.retry.maxAttempts,
                startFrom: handler.startFrom,
                ordering: handler.ordering,
              },
              sinkFor(handler),
            ),
          );
        }
        state = 'running';
      } catch (err) {
        state = 'stopping';
        await Promise.allSettled(subscriptions.map((s) => s.close()));
        await transport.close().catch(() => undefined);
        state = 'stopped';
        throw err;
      }
    })());

  const stop = (stopOptions: StopOptions = {}): Promise<void> =>
    (stopping ??= (async () => {
      const timeout = stopOptions.drainTimeoutMs ?? 10_000;
      if (typeof timeout !== 'number' || !(timeout >= 0))
        throw optionError('stop', 'drainTimeoutMs', 'a number ≥ 0', timeout);
      stopRequested = true;
      drainTimeoutMs = timeout;
      if (starting) await starting.catch(() => undefined);
      if (state === 'stopped') return;
      state = 'stopping';
      const deadline = clock.now() + timeout;
      await Promise.all([...lanes.values()].map((a) => a.drain(timeout)));
      const results = await Promise.allSettled(subscriptions.map((s) => s.close()));
      await Promise.all([...lanes.values()].map((a) => a.drain(0)));
      await executor?.close(Math.max(0, deadline - clock.now()));
      await transport.close();
      state = 'stopped';
      for (const r of results)
        if (r.status === 'rejected') logger.warn({ err: r.reason as unknown }, 'subscription close failed');
    })());

  const inspect = (): AppSnapshot => ({
    state: stopRequested && (state === 'running' || state === 'starting') ? 'stopping' : state,
    lanes: [...[...lanes.values()].map((a) => a.snapshot()), ...(state === 'stopped' ? finished : [])],
    metrics: metrics.snapshot(),
    ...(executor ? { executor: executor.stats() } : {}),
  });

  const health: App['health'] = async () => {
    const snap = [...lanes.values()];
    const lanesSnap = snap.map((a) => a.snapshot());
    if (state !== 'running' || stopRequested)
      return { status: 'down', reasons: [`app is ${stopRequested ? 'stopping' : state}`], lanes: lanesSnap };
    // Connectors redact their own secrets; this pass catches credentials in any text they pass through.
    const t: HealthReport = redact(
      await transport.health().catch((err: unknown) => ({
        status: 'down' as const,
        reasons: [`transport health failed: ${(err as Error)?.message}`],
      })),
    );
    const reasons = [...t.reasons];
    for (const l of lanesSnap)
      if (l.machine.health === 'blocked') reasons.push(`lane ${l.topic}[${l.partition}] of ${l.handler} is blocked`);
    const executorStats = executor?.stats();
    const executorState = executorStats?.state;
    if (executorState !== undefined && executorState !== 'running')
      reasons.push(`executor is ${typeof executorState === 'string' ? executorState : JSON.stringify(executorState)}`);
    const status = t.status === 'down' ? 'down' : reasons.length > 0 ? 'degraded' : 'ok';
    return {
      status,
      reasons,
      lanes: lanesSnap,
      details: {
        ...(t.details ? { transport: t.details } : {}),
        ...(executorStats ? { executor: executorStats } : {}),
      },
    };
  };

  if (handlers.some((h) => h.worker !== undefined) && !executor) {
    throw new ConfigError(
      'createApp: a worker handler needs an executor; pass createApp({ executor: workerPool({ threads }) }) from @partita/worker-pool',
    );
  }

  const stopOnSignals: App['stopOnSignals'] = (signalOptions) =>
    installSignalHandlers({ stop, markStopping: () => (stopRequested = true) }, logger, signalOptions);

  return {
    start,
    stop,
    publish,
    inspect,
    pauseLane: (selector) => laneControl.pause(selector),
    resumeLane: (selector) => laneControl.resume(selector),
    health,
    stopOnSignals,
    on: (event, listener) => events.on(event, listener),
  };
}
