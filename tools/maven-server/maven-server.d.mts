/** Types of tools/maven-server/maven-server.mjs (a plain ESM module shared by tools/kafka and tools/elasticmq). */

/** A JVM server started (or found running) by one of the tools. */
export interface ServerHandle {
  /** Where it answers, as the tool prints it. */
  readonly address: string;
  /** This handle started the server (so `stop` stops it). */
  readonly owned: boolean;
  /** The server was started by the tool (so `kill`/`restart` work). */
  readonly controllable: boolean;
  readonly pid: number;
  /** SIGKILL the server now; its data dir stays for `restart`. */
  kill(): void;
  /** Stop it if running, start it again on the same data dir, resolve once it answers. */
  restart(timeoutMs?: number): Promise<void>;
  /** Stop (SIGTERM, then SIGKILL) and delete its data, if this handle owns it. */
  stop(): Promise<void>;
}
