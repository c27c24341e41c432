/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** What a member tells the runner, in order (IPC messages for child processes). */
export type MemberReport =
  | { readonly t: 'ready'; readonly at: number }
  | { readonly t: 'assigned' | 'revoked'; readonly partition: number; readonly at: number }
  /** Handler start of record `seq` on `partition`. */
  | { readonly t: 'handled'; readonly partition: number; readonly seq: number; readonly at: number }
  | { readonly t: 'stopped'; readonly at: number }
  | { readonly t: 'error'; readonly message: string };

/** The value of every record of the rebalance scenario. */
export interface Tick {
  readonly seq: number;
}

/** One member of the group, in this process or a child process. */
export interface Member {
  readonly id: string;
  /** Graceful: `app.stop()` (a child gets SIGTERM); resolves when it stopped. */
  stop(): Promise<void>;
  /** Abrupt: `kill -9` of the child, or the in-process equivalent; nothing of it reaches the broker any more. */
  kill(): Promise<void>;
}
