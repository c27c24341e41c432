import { ConfigError } from '@partita/core';

/** Options of {@link runSoak}; every number is validated (`ConfigError` naming the option). */
export interface SoakOptions {
  /** A name from `soakConnectors`. */
  readonly connector: string;
  /** Length of the chaos phase (members churn while the producer publishes). @defaultValue 60 */
  readonly seconds?: number;
  /** Seed of the schedule (which member, start or stop, kill or graceful, pauses, keys). @defaultValue random */
  readonly seed?: number;
  /** Distinct keys. @defaultValue 1000 */
  readonly keys?: number;
  /** Messages published per second during the chaos phase. @defaultValue 500 */
  readonly ratePerSecond?: number;
  /** Members alive at once: between these (inclusive). @defaultValue [3, 5] */
  readonly minMembers?: number;
  readonly maxMembers?: number;
  /** Longest pause between two membership changes. @defaultValue 500 */
  readonly maxChangeIntervalMs?: number;
  /** Each handling sleeps this long, so members die with records in flight. @defaultValue 10 */
  readonly handlerDelayMs?: number;
  /** Deadline for the drain after the chaos phase. @defaultValue 180000 */
  readonly drainTimeoutMs?: number;
  /** Environment handed to child members (e.g. PARTITA_KAFKA_BROKERS from a test's broker). */
  readonly env?: Readonly<Record<string, string>>;
  /** Progress lines (membership changes are not printed). @defaultValue none */
  readonly log?: (line: string) => void;
  /** Every membership change, with its time since the start of the run. @defaultValue none */
  readonly trace?: (line: string) => void;
  /** Keep the ledger directory (its path is in the result). @defaultValue false */
  readonly keepFiles?: boolean;
}

export type ResolvedSoakOptions = Required<Omit<SoakOptions, 'log' | 'trace'>> & {
  readonly log: (line: string) => void;
  readonly trace: (line: string) => void;
};

function positive(name: string, value: number | undefined, fallback: number, integer = true): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`soak: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return v;
}

export function resolveSoakOptions(o: SoakOptions): ResolvedSoakOptions {
  const minMembers = positive('minMembers', o.minMembers, 3);
  const maxMembers = positive('maxMembers', o.maxMembers, 5);
  if (maxMembers < minMembers)
    throw new ConfigError(`soak: maxMembers (${maxMembers}) must be ≥ minMembers (${minMembers})`);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new ConfigError(`soak: seed must be an integer, got ${String(o.seed)}`);
  return {
    connector: o.connector,
    seconds: positive('seconds', o.seconds, 60, false),
    seed,
    keys: positive('keys', o.keys, 1000),
    ratePerSecond: positive('ratePerSecond', o.ratePerSecond, 500),
    minMembers,
    maxMembers,
    maxChangeIntervalMs: positive('maxChangeIntervalMs', o.maxChangeIntervalMs, 500),
    handlerDelayMs: o.handlerDelayMs === 0 ? 0 : positive('handlerDelayMs', o.handlerDelayMs, 10),
    drainTimeoutMs: positive('drainTimeoutMs', o.drainTimeoutMs, 180_000),
    env: o.env ?? {},
    log: o.log ?? (() => {}),
    trace: o.trace ?? (() => {}),
    keepFiles: o.keepFiles ?? false,
  };
}
