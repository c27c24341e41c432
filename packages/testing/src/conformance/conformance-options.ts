import type { Transport, TransportCapabilities } from '@partita/core';

/**
 * What a scenario may need of the broker under test. Not configured: derived
 * from the transport's own `capabilities` ({@link featuresOf}), so a connector
 * states its facts once, in `TransportCapabilities`.
 */
export interface ConformanceFeatures {
  /** `capabilities.consumerGroups`: several apps in one group share a topic. */
  readonly consumerGroups: boolean;
  /** `capabilities.replay`: a new group reads messages published before it subscribed. */
  readonly replay: boolean;
  /** `capabilities.nativeDelay`: `retry.mode: 'delayed'` through the broker's native delay. */
  readonly delayedRetry: boolean;
  /** `capabilities.partitions`: topics have several partitions, assigned to distinct group members. */
  readonly partitions: boolean;
  /** `options.proxyTarget` is given: the transport reconnects after its TCP connection is cut. */
  readonly reconnect: boolean;
}

/** The features a scenario may rely on, from the transport's capabilities and the options. */
export function featuresOf(
  capabilities: TransportCapabilities,
  options: Pick<ResolvedConformanceOptions, 'proxyTarget'>,
): ConformanceFeatures {
  return {
    consumerGroups: capabilities.consumerGroups,
    replay: capabilities.replay,
    delayedRetry: capabilities.nativeDelay,
    partitions: capabilities.partitions,
    reconnect: options.proxyTarget !== undefined,
  };
}

/** What `createTransport` is told about the app it builds a transport for. */
export interface TransportContext {
  /** Label of the app in the scenario (`a`, `b`, `publisher`, ...). */
  readonly label: string;
  /**
   * Connect through this address instead of the broker's (the reconnect
   * scenario puts a fault proxy there). Absent: connect directly.
   */
  readonly proxy?: { readonly host: string; readonly port: number };
}

/** Options of `conformanceSuite`. */
export interface ConformanceOptions {
  /** Connector name, used in the describe title and in topic names. */
  readonly name: string;
  /** A fresh transport per app. Called once per app, never shared between apps. */
  readonly createTransport: (ctx: TransportContext) => Transport | Promise<Transport>;
  /**
   * A rebalance while a group forms may hand a message to two members (Kafka's
   * eager rebalance): the group scenario then tolerates duplicates.
   * @defaultValue false
   */
  readonly rebalanceDuplicates?: boolean;
  /**
   * Whether the broker is reachable: `true`, or `false`/a reason string.
   * Unreachable: every scenario is skipped with the reason printed, unless
   * env `PARTITA_REQUIRE_BROKERS` is `1` or `true`, then the suite fails.
   * @defaultValue always available
   */
  readonly available?: () => boolean | string | Promise<boolean | string>;
  /**
   * The broker's real TCP address; the reconnect scenario proxies it. Absent:
   * the reconnect scenario is skipped (a transport without a network connection).
   */
  readonly proxyTarget?: { readonly host: string; readonly port: number };
  /**
   * Create topics before a scenario uses them (brokers without automatic
   * creation: Kafka topics with partitions, JetStream streams). Called with
   * every topic a scenario publishes to or subscribes, dead-letter topics included.
   * @defaultValue no-op
   */
  readonly prepareTopics?: (topics: readonly string[]) => Promise<void>;
  /** Delete topics after each scenario. @defaultValue no-op */
  readonly cleanupTopics?: (topics: readonly string[]) => Promise<void>;
  /** Deadline of every wait inside a scenario, in ms. @defaultValue 120_000 */
  readonly waitTimeoutMs?: number;
  /** Vitest timeout of each scenario, in ms. @defaultValue 240_000 */
  readonly testTimeoutMs?: number;
  /** Messages in the bulk-delivery scenario. @defaultValue 10_000 */
  readonly bulkMessages?: number;
  /** Drain timeout used when a scenario stops its apps. @defaultValue 5_000 */
  readonly drainTimeoutMs?: number;
}

/** Options with defaults filled in. */
export interface ResolvedConformanceOptions extends Required<Omit<ConformanceOptions, 'proxyTarget'>> {
  readonly proxyTarget: { readonly host: string; readonly port: number } | undefined;
}

function positive(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `conformanceSuite: options.${name} must be a positive integer, got ${typeof v === 'number' ? v : JSON.stringify(v)}`,
    );
  }
  return v;
}

function optionalFn<F>(name: string, v: F | undefined): F | undefined {
  if (v !== undefined && typeof v !== 'function')
    throw new TypeError(`conformanceSuite: options.${name} must be a function when given`);
  return v;
}

/** Validate `conformanceSuite` options at the boundary and fill in the defaults. */
export function resolveConformanceOptions(options: ConformanceOptions): ResolvedConformanceOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError('conformanceSuite: options must be an object');
  if (typeof options.name !== 'string' || options.name.trim() === '') {
    throw new TypeError('conformanceSuite: options.name must be a non-empty string (the connector name)');
  }
  if (typeof options.createTransport !== 'function') {
    throw new TypeError('conformanceSuite: options.createTransport must be a function (ctx) => Transport');
  }
  if (options.rebalanceDuplicates !== undefined && typeof options.rebalanceDuplicates !== 'boolean')
    throw new TypeError(
      `conformanceSuite: options.rebalanceDuplicates must be a boolean, got ${typeof options.rebalanceDuplicates}`,
    );
  if ('features' in options)
    throw new TypeError(
      "conformanceSuite: options.features is gone: the kit reads the transport's capabilities; remove it (rebalanceDuplicates is its own option)",
    );
  const target = options.proxyTarget;
  if (target !== undefined) {
    if (
      typeof target.host !== 'string' ||
      target.host === '' ||
      !Number.isInteger(target.port) ||
      target.port < 1 ||
      target.port > 65_535
    ) {
      throw new TypeError('conformanceSuite: options.proxyTarget must be { host: string, port: 1..65535 }');
    }
  }
  const noop = (): Promise<void> => Promise.resolve();
  return {
    name: options.name,
    createTransport: options.createTransport,
    rebalanceDuplicates: options.rebalanceDuplicates ?? false,
    available: optionalFn('available', options.available) ?? (() => true),
    proxyTarget: target,
    prepareTopics: optionalFn('prepareTopics', options.prepareTopics) ?? noop,
    cleanupTopics: optionalFn('cleanupTopics', options.cleanupTopics) ?? noop,
    waitTimeoutMs: positive('waitTimeoutMs', options.waitTimeoutMs, 120_000),
    testTimeoutMs: positive('testTimeoutMs', options.testTimeoutMs, 240_000),
    bulkMessages: positive('bulkMessages', options.bulkMessages, 10_000),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, 5_000),
  };
}
