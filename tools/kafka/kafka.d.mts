/** Types of tools/kafka/kafka.mjs (a plain ESM script, no build step). */
export declare const KAFKA_VERSION: string;
export declare const SASL_USER: string;
export declare const SASL_PASSWORD: string;

export interface KafkaHandle {
  /** `host:port` of the PLAINTEXT listener. */
  readonly brokers: string[];
  /** `host:port` of the SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256). */
  readonly saslBrokers: string[];
  readonly sasl: { readonly username: string; readonly password: string };
  /** This handle started the broker (so `stop` stops it). */
  readonly owned: boolean;
  /** The broker was started by tools/kafka (so `kill`/`restart` work). */
  readonly controllable: boolean;
  readonly pid: number;
  /** SIGKILL the broker process now; its log dir stays for `restart`. */
  kill(): void;
  /** Stop it if running, start it again on the same log dir, resolve once it answers metadata. */
  restart(timeoutMs?: number): Promise<void>;
  /** Stop (SIGTERM, then SIGKILL) and delete its data, if this handle owns it. */
  stop(): Promise<void>;
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
