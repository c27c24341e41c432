/** Types of tools/kafka/kafka.mjs (a plain ESM script, no build step). */
import type { ServerHandle } from '../maven-server/maven-server.d.mts';

export declare const KAFKA_VERSION: string;
export declare const SASL_USER: string;
export declare const SASL_PASSWORD: string;

/** `restart` resolves once the broker answers metadata; `kill` keeps its log dir. */
export interface KafkaHandle extends ServerHandle {
  /** `host:port` of the PLAINTEXT listener. */
  readonly brokers: string[];
  /** `host:port` of the SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256). */
  readonly saslBrokers: string[];
  readonly sasl: { readonly username: string; readonly password: string };
}

export interface StartKafkaOptions {
  /** @defaultValue 19092 */
  readonly port?: number;
  /** @defaultValue 19093 */
  readonly controllerPort?: number;
  /** @defaultValue 19094 */
  readonly saslPort?: number;
  /** @defaultValue 120_000 */
  readonly timeoutMs?: number;
}

export declare function cacheDir(): string;
export declare function fetchKafka(): Promise<{ libs: string; fetched: boolean }>;
export declare function isKafka(brokers: string[], timeoutMs?: number): Promise<boolean>;
export declare function startKafka(options?: StartKafkaOptions): Promise<KafkaHandle>;
/** The broker another process started through tools/kafka, if it runs. */
export declare function attachKafka(port?: number): KafkaHandle | undefined;
