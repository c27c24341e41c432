import { createApp } from '@partita/core';
import { recordingLogger } from '../logs/recording-logger.js';
import type { AnyHandlerDefinition, App, Logger, PublishMessage, Transport } from '@partita/core';
import { createFaultProxy } from '../fault-proxy/fault-proxy.js';
import type { FaultProxy } from '../fault-proxy/fault-proxy.js';
import { createLedger } from '../ledger/ledger.js';
import type { Ledger } from '../ledger/ledger.js';
import { uniqueName } from '../names/unique-name.js';
import { waitFor } from '../wait/wait-for.js';
import type { Condition } from '../wait/wait-for.js';
import type { ConformanceFeatures, ResolvedConformanceOptions } from './conformance-options.js';
import { mortalTransport } from './mortal-transport.js';
import type { MortalTransport } from './mortal-transport.js';

/** The value every kit message carries: the ledger id plus scenario data. */
export interface KitValue {
  readonly id: string;
  readonly [field: string]: unknown;
}

const MAX_LOGS = 500;
const PUBLISH_CHUNK = 500;

/**
 * Everything one scenario needs, and the cleanup of it: unique topic and
 * handler names, apps on fresh transports, a ledger, fault proxies and
 * polling waits with the suite's deadline. `cleanup()` stops every app,
 * closes transports and proxies, and never throws.
 */
export class ScenarioHarness {
  readonly ledger: Ledger = createLedger();
  /** The apps' info and higher lines, the last 500, each with its `app` label (printed when a scenario fails). */
  private readonly captured = recordingLogger({ level: 'info', limit: MAX_LOGS });
  private readonly apps: { label: string; app: App; transport: Transport }[] = [];
  private readonly transports: Transport[] = [];
  private readonly proxies: FaultProxy[] = [];
  private readonly topics: string[] = [];
  private readonly mortals = new Map<App, MortalTransport>();

  constructor(
    readonly options: ResolvedConformanceOptions,
    /** What the broker under test can do (from its capabilities). */
    readonly features: ConformanceFeatures,
  ) {}

  /** A unique name for a handler (and so its group). */
  name(base: string): string {
    return uniqueName(`${this.options.name}-${base}`);
  }

  /** A unique topic name, prepared with `options.prepareTopics`. */
  async topic(base: string): Promise<string> {
    const t = this.name(base);
    await this.prepare(t);
    return t;
  }

  /** Prepare exact topic names (e.g. `${topic}.dlq`). */
  async prepare(...topics: string[]): Promise<void> {
    this.topics.push(...topics);
    await this.options.prepareTopics(topics);
  }

  /** A logger that keeps the last lines for the failure report instead of printing them. */
  logger(app: string): Logger {
    return this.captured.child({ app });
  }

  /** A fresh transport from the connector, closed at cleanup. */
  async transport(label: string, proxy?: FaultProxy): Promise<Transport> {
    const t = await this.options.createTransport({
      label,
      ...(proxy ? { proxy: { host: proxy.host, port: proxy.port } } : {}),
    });
    this.transports.push(t);
    return t;
  }

  /** Create and start an app on its own transport; stopped at cleanup. */
  async app(
    label: string,
    handlers: readonly AnyHandlerDefinition[],
    extra: { proxy?: FaultProxy; transport?: Transport; killable?: boolean } = {},
  ): Promise<App> {
    const inner = extra.transport ?? (await this.transport(label, extra.proxy));
    const mortal = extra.killable ? mortalTransport(inner) : undefined;
    const transport = mortal?.transport ?? inner;
    const app = createApp({ transport, handlers, logger: this.logger(label) });
    if (mortal) this.mortals.set(app, mortal);
    this.apps.push({ label, app, transport });
    app.on('error', ({ error, where }) => this.logger(label).error({ err: error }, `app error event at ${where}`));
    await app.start();
    return app;
  }

  /**
   * Kill an app started with `{ killable: true }` as a crash would: it is not
   * stopped (no drain, no final commit or acks); everything it does from now on
   * is cut off from the broker, and its connection is closed.
   */
  async kill(app: App): Promise<void> {
    const mortal = this.mortals.get(app);
    if (!mortal) throw new TypeError('kill: start the app with h.app(label, handlers, { killable: true })');
    await mortal.kill();
  }

  /**
   * Wait until what `app` settled so far reached the broker: offset model,
   * every lane that received records made a commit; message model, the
   * batched acks of the current turn went out.
   */
  async settledWithBroker(app: App): Promise<void> {
    const transport = this.mortals.get(app)?.transport ?? this.apps.find((a) => a.app === app)?.transport;
    if (transport?.capabilities.ackModel === 'offset') {
      await this.waitFor(
        () => app.inspect().lanes.every((l) => l.received === 0 || l.committed !== undefined),
        'every lane that received records to commit',
        () => `lanes: ${JSON.stringify(app.inspect().lanes.map((l) => [l.partition, l.received, l.committed]))}`,
      );
    } else {
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    }
  }

  /** A fault proxy in front of `options.proxyTarget`; closed at cleanup. */
  async proxy(): Promise<FaultProxy> {
    const target = this.options.proxyTarget;
    if (!target) throw new TypeError('the reconnect scenario needs options.proxyTarget');
    const p = await createFaultProxy({ target });
    this.proxies.push(p);
    return p;
  }

  /** Poll with the suite's deadline. */
  waitFor<T>(condition: Condition<T>, description: string, diagnose?: () => string): Promise<T> {
    return waitFor(condition, {
      timeoutMs: this.options.waitTimeoutMs,
      intervalMs: 25,
      description,
      ...(diagnose ? { diagnose } : {}),
    });
  }

  /** Wait until `app` owns at least `min` lanes (the broker assigned its subscriptions). */
  async lanes(app: App, min = 1, handler?: string): Promise<void> {
    const count = (): number =>
      app.inspect().lanes.filter((l) => (handler === undefined || l.handler === handler) && l.state !== 'stopped')
        .length;
    await this.waitFor(
      () => count() >= min,
      `${min} lane(s) assigned${handler ? ` to ${handler}` : ''}`,
      () => `lanes: ${JSON.stringify(app.inspect().lanes.map((l) => [l.handler, l.topic, l.partition, l.state]))}`,
    );
  }

  /** Wait for all published ledger ids to be handled (at least `expected` published). */
  allHandled(expected: number): ReturnType<Ledger['waitForAllHandled']> {
    return this.ledger.waitForAllHandled({ expected, timeoutMs: this.options.waitTimeoutMs });
  }

  /**
   * Publish through `app` in chunks, recording each chunk in the ledger once
   * the broker confirmed it. `retryUntilConfirmed` retries a failed chunk
   * (for fault scenarios) until the wait deadline.
   */
  async publish(
    app: App,
    messages: readonly PublishMessage<KitValue>[],
    opts: { retryUntilConfirmed?: boolean } = {},
  ): Promise<void> {
    for (let i = 0; i < messages.length; i += PUBLISH_CHUNK) {
      const chunk = messages.slice(i, i + PUBLISH_CHUNK);
      if (opts.retryUntilConfirmed) {
        let lastError: unknown;
        await this.waitFor(
          async () => {
            try {
              await app.publish(chunk);
              return true;
            } catch (err) {
              lastError = err;
              return false;
            }
          },
          'a publish to be confirmed after the fault healed',
          () => `last error: ${String(lastError)}`,
        );
      } else {
        await app.publish(chunk);
      }
      this.ledger.recordPublished(chunk.map((m) => ({ id: m.value.id, key: m.key })));
    }
  }

  /** Stop every app (drain), close every transport and proxy. Never throws; failures are logged. */
  async cleanup(): Promise<void> {
    const drainTimeoutMs = this.options.drainTimeoutMs;
    const stops = await Promise.allSettled(this.apps.map(({ app }) => app.stop({ drainTimeoutMs })));
    stops.forEach((r, i) => {
      if (r.status === 'rejected')
        this.logger(this.apps[i]?.label ?? `app ${i}`).error({ err: r.reason as unknown }, 'cleanup: stop failed');
    });
    await Promise.allSettled(this.transports.map((t) => t.close()));
    await Promise.allSettled(this.proxies.map((p) => p.close()));
    await this.options
      .cleanupTopics(this.topics)
      .catch((err: unknown) => this.logger('suite').warn({ err }, 'cleanupTopics failed'));
    this.ledger.close();
  }

  /** The captured logs, formatted for a failure report. */
  formatLogs(last = 60): string {
    return this.captured.records
      .slice(-last)
      .map(({ level, msg, fields: { app, ...fields } }) => {
        const rest = Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
        return `[${String(app)}] ${level} ${msg ?? ''}${rest}`;
      })
      .join('\n');
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? `${x.name}: ${x.message}` : x));
  } catch {
    return String(v);
  }
}
