/** Types of tools/elasticmq/elasticmq.mjs (a plain ESM script, no build step). */
import type { ServerHandle } from '../maven-server/maven-server.d.mts';

export declare const ELASTICMQ_VERSION: string;
export declare const DEFAULT_PORT: number;

/** `kill` keeps its data dir (queues and messages) for `restart`. */
export interface ElasticMQHandle extends ServerHandle {
  /** `http://127.0.0.1:<port>`: the SQS endpoint. */
  readonly endpoint: string;
  readonly port: number;
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
