import { TurnQueue, type Clock } from '@partita/core';

/** One partition's offset to commit. `key` names the partition (one entry per key in a request). */
export interface CommitEntry {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | null;
}

/**
 * How a commit went: sent (`mark` is what `mark()` returned just before its
 * request went out), or not sent because `ready` refused it then.
 */
export type CommitOutcome<M> = SentCommit<M> | { readonly sent: false };

/** A commit whose request went out; `failed` with the request's `error`. */
export interface SentCommit<M> {
  readonly sent: true;
  readonly mark: M;
  readonly failed: boolean;
  readonly error?: unknown;
}

interface Waiting<E, M> {
  readonly entry: E;
  readonly done: (outcome: CommitOutcome<M>) => void;
}

/**
 * Folds the commits of a consumer's lanes into one `OffsetCommit` request at
 * a time. A commit asked for while a request is in flight waits for it and
 * goes out with every other commit asked for meanwhile; one asked for with
 * nothing in flight goes out on the next turn, with the other lanes' commits
 * of this turn. Each lane keeps one commit in flight (the runtime's rule), so
 * a consumer of n lanes sends one request where it sent n, and the broker
 * (which writes each one to `__consumer_offsets`) does a share of the work.
 *
 * An entry waits, so whether it may still go out is asked again (`ready`)
 * just before its request is sent. Outcomes are per entry: an error
 * `shared(err)` says concerns the whole
 * request (the group's generation or membership) is every entry's; any other
 * failure of a request of several entries sends each entry again on its own,
 * so one partition's error never becomes another's. Never rejects.
 */
export class CommitBatcher<E extends CommitEntry, M> {
  private queue: Waiting<E, M>[] = [];
  private inFlight = false;
  private readonly turn: TurnQueue;

  constructor(
    clock: Clock,
    private readonly send: (entries: readonly E[]) => Promise<void>,
    private readonly mark: () => M,
    private readonly shared: (err: unknown) => boolean,
    private readonly ready: (entry: E) => boolean,
  ) {
    this.turn = new TurnQueue(clock, () => void this.flush());
  }

  commit(entry: E): Promise<CommitOutcome<M>> {
    return new Promise((done) => {
      this.queue.push({ entry, done });
      if (!this.inFlight) this.turn.request();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    // One entry per partition in a request: a second commit of a partition waits for the next one.
    const batch: Waiting<E, M>[] = [];
    const later: Waiting<E, M>[] = [];
    const keys = new Set<string>();
    for (const w of this.queue) {
      if (keys.has(w.entry.key)) later.push(w);
      else if (!this.ready(w.entry)) w.done({ sent: false });
      else {
        keys.add(w.entry.key);
        batch.push(w);
      }
    }
    this.queue = later;
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      const outcome = await this.request(batch.map((w) => w.entry));
      if (!outcome.failed || batch.length === 1 || this.shared(outcome.error)) {
        for (const w of batch) w.done(outcome);
      } else {
        for (const w of batch) w.done(await this.request([w.entry]));
      }
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) void this.flush();
    }
  }

  private async request(entries: readonly E[]): Promise<SentCommit<M>> {
    const mark = this.mark();
    try {
      await this.send(entries);
      return { sent: true, mark, failed: false };
    } catch (error) {
      return { sent: true, mark, failed: true, error };
    }
  }
}
