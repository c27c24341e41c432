import {
  close,
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConnectionError, type TimerHandle } from '@partita/core';
import type { CommittedOffset } from '../group/group-coordinator.js';
import type { Partition } from '../log/partition.js';
import type { StagedRecord, StoredRecord } from '../log/stored-record.js';
import type { ResolvedBrokerOptions, ResolvedTopicOptions } from '../options/broker-options.js';
import type { DurableStore, RecoveredState } from './durable-store.js';
import { OffsetsLog } from './offsets-log.js';
import type { PublishedLike } from './record-codec.js';
import { SegmentLog } from './segment-log.js';
import { StagingJournal } from './staging-journal.js';
import { createTopicDirectories, topicDirectory } from './topic-directory.js';

const RESOLVED = Promise.resolve();

/**
 * Durable mode on the local file system:
 * `topics.json`, `offsets.log` (committed offsets, one JSON line each,
 * compacted on open and while running: see `OffsetsLog`), `staged.log`
 * (journal of delayed/prioritised records not yet in a partition log, likewise
 * compacted: see `StagingJournal`), `logs/<topicDirName(topic)>/<partition>/` segments, and a
 * `clean` marker written by `close()`.
 */
export class FileStore implements DurableStore {
  private readonly logs = new Map<Partition, SegmentLog>();
  private readonly offsetsLog: OffsetsLog;
  private readonly staging: StagingJournal;
  private syncing: Promise<void> | undefined;
  /** Runs of `syncDirty` in progress (a replaced offsets file is closed after them). */
  private readonly syncRuns = new Set<Promise<void>>();
  /** fsync + close of rolled segments' files, running in the thread pool. */
  private readonly retiring = new Set<Promise<void>>();
  private timer: TimerHandle | undefined;
  private failure: Error | undefined;
  private lastFsyncAt: number | undefined;
  private readonly cleanShutdown: boolean;
  private truncatedBytes = 0;
  private readonly problems: string[] = [];
  private closed = false;
  /** Upper bound of acknowledged data a machine crash before this open may have lost (null: unbounded, fsync never). */
  private readonly lossWindowMs: number | null;

  constructor(private readonly o: ResolvedBrokerOptions) {
    const dir = o.dataDir!;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const marker = join(dir, 'clean');
    const fresh = !existsSync(join(dir, 'topics.json'));
    this.cleanShutdown = fresh || existsSync(marker);
    if (existsSync(marker)) unlinkSync(marker);
    // the loss window depends on the policy the crashed process ran with
    const policyPath = join(dir, 'policy.json');
    let prev: { fsync: string; fsyncIntervalMs: number } = { fsync: o.fsync, fsyncIntervalMs: o.fsyncIntervalMs };
    try {
      prev = JSON.parse(readFileSync(policyPath, 'utf8')) as typeof prev;
    } catch {
      /* first open */
    }
    this.lossWindowMs =
      this.cleanShutdown || prev.fsync === 'always' ? 0 : prev.fsync === 'interval' ? prev.fsyncIntervalMs : null;
    if (!this.cleanShutdown)
      o.onWarning(
        `recovery: ${dir} was not closed cleanly${prev.fsync === 'always' ? '' : `; it ran with fsync '${prev.fsync}', so publishes acknowledged within the last ${prev.fsync === 'interval' ? `${prev.fsyncIntervalMs} ms` : 'OS flush window'} before a machine crash may be lost`}`,
      );
    writeFileSync(policyPath, JSON.stringify({ fsync: o.fsync, fsyncIntervalMs: o.fsyncIntervalMs }));
    this.offsetsLog = new OffsetsLog(join(dir, 'offsets.log'), {
      warn: o.onWarning,
      retire: (fd) => this.closeAfterSyncs(fd),
    });
    this.staging = new StagingJournal(join(dir, 'staged.log'), {
      warn: o.onWarning,
      retire: (fd) => this.closeAfterSyncs(fd),
    });
    if (o.fsync === 'interval' || Number.isFinite(o.retentionMs) || Number.isFinite(o.retentionBytes)) this.arm();
  }

  private path(...parts: string[]): string {
    return join(this.o.dataDir!, ...parts);
  }

  readTopics(): RecoveredState['topics'] {
    const p = this.path('topics.json');
    if (!existsSync(p)) return [];
    try {
      const parsed = JSON.parse(readFileSync(p, 'utf8')) as {
        topics: { name: string; options: ResolvedTopicOptions }[];
      };
      // JSON has no Infinity: limits stored as null mean "no limit"
      return parsed.topics.map((t) => ({
        name: t.name,
        options: {
          ...t.options,
          maxBytes: t.options.maxBytes ?? Infinity,
          maxMessages: t.options.maxMessages ?? Infinity,
        },
      }));
    } catch (err) {
      throw new ConnectionError(
        `cannot read ${p}: it is not valid JSON (${(err as Error).message}); restore it or remove the data directory`,
        { cause: err },
      );
    }
  }

  private topicsWritten: { name: string; options: ResolvedTopicOptions }[] | undefined;

  /**
   * Create the topic's partition directories (synced), then record the topic
   * in `topics.json` (temp file, fsync, rename): a topic is never recorded
   * without its directories, so a failure here leaves a state that opens.
   */
  topicCreated(name: string, options: ResolvedTopicOptions): void {
    const dir = this.topicDir(name);
    try {
      createTopicDirectories(dir, options.partitions);
    } catch (err) {
      throw new ConnectionError(
        `durable: cannot create the directory of topic ${JSON.stringify(name)} (${dir}): ${(err as Error).message}; the topic was not created`,
        { cause: err },
      );
    }
    const topics = [...(this.topicsWritten ?? this.readTopics()), { name, options }];
    const p = this.path('topics.json');
    writeFileSync(`${p}.tmp`, JSON.stringify({ version: 1, topics }, null, 1));
    const fd = openSync(`${p}.tmp`, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${p}.tmp`, p);
    this.topicsWritten = topics;
  }

  private topicDir(topic: string): string {
    return topicDirectory(this.path('logs'), topic, this.o.onWarning);
  }

  recoverPartition(partition: Partition, topic: string): void {
    const log = new SegmentLog(join(this.topicDir(topic), String(partition.index)), {
      segmentBytes: this.o.segmentBytes,
      retentionBytes: this.o.retentionBytes,
      retentionMs: this.o.retentionMs,
      warn: this.o.onWarning,
      verifyChecksums: this.o.verifyChecksums === 'always' || !this.cleanShutdown,
      clean: this.cleanShutdown && this.o.verifyChecksums !== 'always',
      retire: (fds) => this.retire(fds),
    });
    this.logs.set(partition, log);
    const report = log.recover();
    partition.resetCold(log.startOffset, log.endOffset, log.lastTimestamp);
    partition.cold = log;
    this.truncatedBytes += report.truncatedBytes;
    this.problems.push(...report.problems);
    for (const rec of this.staging.waiting(topic, partition.index)) partition.restoreStaged(rec);
    this.retention(partition);
  }

  private retention(partition: Partition): void {
    const log = this.logs.get(partition);
    const start = log?.enforceRetention(this.o.clock.now());
    if (start !== undefined) partition.trimTo(start);
  }

  readOffsets(): RecoveredState['offsets'] {
    return this.offsetsLog.offsets();
  }

  private guard<T>(what: string, fn: () => T): T {
    if (this.failure)
      throw new ConnectionError(`durable storage failed earlier: ${this.failure.message}`, { cause: this.failure });
    try {
      return fn();
    } catch (err) {
      this.failure = err as Error;
      throw new ConnectionError(`durable ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  sequenced(partition: Partition, records: readonly StoredRecord[]): void {
    const log = this.logs.get(partition);
    if (!log) return;
    this.guard('append', () => log.append(records));
    // records on disk need not stay in memory: keep a bounded hot tail for fast tail reads
    if (partition.bytes > this.o.cacheBytes)
      partition.dropHot(partition.hotBase + Math.ceil((partition.end - partition.hotBase) / 2));
  }

  appendPublished(
    partition: Partition,
    records: readonly PublishedLike[],
    idx: readonly number[],
    first: number,
    timestamp: number,
    now: number,
  ): void {
    const log = this.logs.get(partition);
    if (!log) return;
    this.guard('append', () => log.appendPublished(records, idx, first, timestamp, now));
  }

  staged(partition: Partition, record: StagedRecord): void {
    this.guard('staging', () => this.staging.staged(partition.topic, partition.index, record));
  }

  unstaged(_partition: Partition, records: readonly StagedRecord[]): void {
    this.guard('staging', () => this.staging.unstaged(records));
  }

  committed(group: string, topic: string, partition: number, entry: CommittedOffset): void {
    this.guard('offset commit', () => this.offsetsLog.append(group, topic, partition, entry));
  }

  flush(): Promise<void> {
    if (this.failure)
      return Promise.reject(
        new ConnectionError(`durable storage failed: ${this.failure.message}`, { cause: this.failure }),
      );
    if (this.o.fsync !== 'always') return RESOLVED;
    this.syncing ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.syncing = undefined;
        this.syncDirty().then(resolve, reject);
      });
    });
    return this.syncing;
  }

  /**
   * A segment was rolled: fdatasync and close its files in the thread pool
   * (every policy; `syncDirty` and `close` wait for it). A failure turns the
   * store down like any fsync failure.
   */
  private retire(fds: readonly number[]): void {
    const done = Promise.all(
      fds.map(
        (fd) =>
          new Promise<void>((resolve) =>
            fdatasync(fd, (err) => {
              if (err && !this.failure) this.failure = err;
              close(fd, () => resolve());
            }),
          ),
      ),
    ).then(() => {
      this.retiring.delete(done);
    });
    this.retiring.add(done);
  }

  /** A file replaced by a compaction: close it once the syncs already started on it have finished. */
  private closeAfterSyncs(fd: number): void {
    const done = Promise.allSettled([...this.syncRuns]).then(() => {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
      this.retiring.delete(done);
    });
    this.retiring.add(done);
  }

  /** fdatasync every dirty file (group commit: one sync covers every write before it). */
  private syncDirty(): Promise<void> {
    const run = this.syncDirtyFiles();
    this.syncRuns.add(run);
    const forget = (): void => {
      this.syncRuns.delete(run);
    };
    run.then(forget, forget);
    return run;
  }

  private async syncDirtyFiles(): Promise<void> {
    // files of segments rolled before now: their sync started at the roll
    const retiring = this.retiring.size > 0 ? Promise.all(this.retiring) : undefined;
    const fds: number[] = [];
    for (const log of this.logs.values())
      if (log.dirty && log.fd >= 0) {
        log.dirty = false;
        fds.push(log.fd);
      }
    if (this.offsetsLog.dirty) {
      this.offsetsLog.dirty = false;
      fds.push(this.offsetsLog.fd);
    }
    if (this.staging.dirty) {
      this.staging.dirty = false;
      fds.push(this.staging.fd);
    }
    await Promise.all(
      fds.map(
        (fd) =>
          new Promise<void>((resolve, reject) =>
            fdatasync(fd, (err) => {
              if (err && !this.closed) {
                this.failure = err;
                reject(new ConnectionError(`fsync failed: ${err.message}`, { cause: err }));
              } else resolve();
            }),
          ),
      ),
    );
    if (retiring) {
      await retiring;
      if (this.failure && !this.closed)
        throw new ConnectionError(`fsync failed: ${this.failure.message}`, { cause: this.failure });
    }
    this.lastFsyncAt = this.o.clock.now();
  }

  private arm(): void {
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = undefined;
        if (this.closed) return;
        const sync = this.o.fsync === 'interval' ? this.syncDirty() : RESOLVED;
        sync
          .catch((err: unknown) => this.o.onWarning(`interval fsync failed: ${(err as Error).message}`))
          .finally(() => {
            for (const p of this.logs.keys()) this.retention(p);
            if (!this.closed) this.arm();
          });
      },
      this.o.fsync === 'interval' ? this.o.fsyncIntervalMs : 1000,
    );
  }

  enforceRetention(partition: Partition): number | undefined {
    const start = this.logs.get(partition)?.enforceRetention(this.o.clock.now());
    if (start !== undefined) partition.trimTo(start);
    return start;
  }

  health(): { down: string[]; degraded: string[]; details: Record<string, unknown> } {
    let segments = 0;
    let bytes = 0;
    for (const l of this.logs.values()) {
      const s = l.stats();
      segments += s.segments;
      bytes += s.bytes;
    }
    return {
      down: this.failure ? [`durable storage failed: ${this.failure.message}`] : [],
      degraded: [],
      details: {
        dataDir: this.o.dataDir,
        fsync: this.o.fsync,
        fsyncIntervalMs: this.o.fsyncIntervalMs,
        lastFsyncAt: this.lastFsyncAt,
        segments,
        bytes,
        recovery: {
          cleanShutdown: this.cleanShutdown,
          truncatedBytes: this.truncatedBytes,
          problems: this.problems,
          possibleLossWindowMs: this.lossWindowMs,
        },
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    await this.syncing?.catch(() => {});
    while (this.retiring.size > 0) await Promise.all(this.retiring);
    this.closed = true;
    for (const l of this.logs.values()) l.close();
    this.offsetsLog.close();
    this.staging.close();
    if (!this.failure) writeFileSync(this.path('clean'), String(this.o.clock.now()));
  }
}
