import type { Transport } from '@partita/core';

/**
 * What the broker under test can do. Every flag defaults to `true` except
 * `rebalanceDuplicates`; set a flag to `false` to skip the scenarios that
 * need it (they show as skipped, never as passed).
 */
export interface ConformanceFeatures {
  /** Several apps in one group share a topic, each message going to one of them. @defaultValue true */
  readonly consumerGroups: boolean;
  /** A new group reads messages published before it subscribed. @defaultValue true */
  readonly replay: boolean;
  /** `retry.mode: 'delayed'` through the broker's native delay. @defaultValue true */
  readonly delayedRetry: boolean;
  /** The transport reconnects after its TCP connection is cut (needs `proxyTarget`). @defaultValue true */
  readonly reconnect: boolean;
  /** Topics have several partitions, assigned to distinct group members. @defaultValue true */
  readonly partitions: boolean;
  /** A rebalance while a group forms may hand a message to two members. @defaultValue false */
  readonly rebalanceDuplicates: boolean;
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
  /** What the broker lacks. @defaultValue every flag true except `rebalanceDuplicates` */
  readonly features?: Partial<ConformanceFeatures>;
  /**
   * Whether the broker is reachable: `true`, or `false`/a reason string.
   * Unreachable: every scenario is skipped with the reason printed, unless
   * env `PARTITA_REQUIRE_BROKERS` is `1` or `true`, then the suite fails.
   * @defaultValue always available
   */
  readonly available?: () => boolean | string | Promise<boolean | string>;
  /** The broker's real TCP address; the reconnect scenario proxies it. Required when `features.reconnect`. */
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
export interface ResolvedConformanceOptions extends Required<Omit<ConformanceOptions, 'features' | 'proxyTarget'>> {
  readonly features: ConformanceFeatures;
  readonly proxyTarget: { readonly host: string; readonly port: number } | undefined;
}

const FEATURE_DEFAULTS: ConformanceFeatures = {
  consumerGroups: true,
  replay: true,
  delayedRetry: true,
  reconnect: true,
  partitions: true,
  rebalanceDuplicates: false,
};

function positive(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`conformanceSuite: options.${name} must be a positive integer, got ${String(v)}`);
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
  const features: Record<string, boolean> = { ...FEATURE_DEFAULTS };
  for (const [k, v] of Object.entries(options.features ?? {})) {
    if (!(k in FEATURE_DEFAULTS)) {
      throw new TypeError(
        `conformanceSuite: options.features.${k} is unknown; known flags: ${Object.keys(FEATURE_DEFAULTS).join(', ')}`,
      );
    }
    if (typeof v !== 'boolean')
      throw new TypeError(`conformanceSuite: options.features.${k} must be a boolean, got ${typeof v}`);
    features[k] = v;
  }
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
  if (features.reconnect && target === undefined) {
    throw new TypeError(
      'conformanceSuite: features.reconnect needs options.proxyTarget (the broker address to proxy); set features.reconnect: false if the transport has no network connection',
    );
  }
  const noop = async (): Promise<void> => undefined;
  return {
    name: options.name,
    createTransport: options.createTransport,
    features: features as unknown as ConformanceFeatures,
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
