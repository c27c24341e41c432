/** Types of tools/elasticmq/elasticmq.mjs (a plain ESM script, no build step). */
export declare const ELASTICMQ_VERSION: string;
export declare const DEFAULT_PORT: number;

export interface ElasticMQHandle {
  /** `http://127.0.0.1:<port>`: the SQS endpoint. */
  readonly endpoint: string;
  readonly port: number;
  /** This handle started the server (so `stop` stops it). */
  readonly owned: boolean;
  /** The server was started by tools/elasticmq (so `kill`/`restart` work). */
  readonly controllable: boolean;
  readonly pid: number;
  /** SIGKILL the server now; its data dir (queues and messages) stays for `restart`. */
  kill(): void;
  /** Stop it if running, start it again on the same data dir, resolve once it answers. */
  restart(timeoutMs?: number): Promise<void>;
  /** Stop (SIGTERM, then SIGKILL) and delete its data, if this handle owns it. */
  stop(): Promise<void>;
}

export interface StartElasticMQOptions {
  /** @defaultValue 9324 */
  readonly port?: number;
  /** @defaultValue 60_000 */
  readonly timeoutMs?: number;
}

export declare function cacheDir(): string;
export declare function fetchElasticMQ(): Promise<{ libs: string; fetched: boolean }>;
export declare function isElasticMQ(endpoint: string, timeoutMs?: number): Promise<boolean>;
export declare function startElasticMQ(options?: StartElasticMQOptions): Promise<ElasticMQHandle>;
/** The server another process started through tools/elasticmq, if it runs. */
export declare function attachElasticMQ(port?: number): ElasticMQHandle | undefined;
