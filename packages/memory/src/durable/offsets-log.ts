import { closeSync, existsSync, fsyncSync, openSync, readSync } from 'node:fs';
import type { CommittedOffset } from '../group/group-coordinator.js';
import { replaceFile, writeAll } from './scan-file.js';

/**
 * `offsets.log` is rewritten as a snapshot once it holds more than this many
 * bytes and more than twice its snapshot: its size stays below
 * `max(OFFSETS_COMPACT_BYTES, 2 × snapshot) + one line`.
 */
export const OFFSETS_COMPACT_BYTES = 1024 * 1024;
/** Bytes read per chunk when the log is read on open. */
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

export interface RecoveredOffset {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly entry: CommittedOffset;
}

export interface OffsetsLogOptions {
  readonly warn: (message: string) => void;
  /**
   * Takes the descriptor of the file a compaction replaced: the caller closes
   * it once syncs already started on it have finished.
   */
  readonly retire: (fd: number) => void;
}

/**
 * Committed offsets on disk: one JSON line `[group, topic, partition, offset,
 * metadata]` per commit, appended with one `write`. Read line by line on open
 * (a torn line is skipped with a warning), then compacted to one line per
 * (group, topic, partition); compacted again while running whenever it
 * outgrows its bound. A compaction writes `offsets.log.tmp`, fsyncs it and
 * renames it over the log (then fsyncs the directory): a crash at any point
 * leaves either the old log or the snapshot, both complete (a leftover temp
 * file is overwritten by the next compaction, which runs on every open).
 */
export class OffsetsLog {
  /** Descriptor of the log, open for appends (it changes at each compaction). */
  fd = -1;
  /** Written since the last sync. */
  dirty = false;
  /** The latest line per `[group, topic, partition]`. */
  private readonly latest = new Map<string, string>();
  private liveBytes = 0;
  private fileBytes = 0;
  private readonly recovered: RecoveredOffset[];

  constructor(
    private readonly path: string,
    private readonly o: OffsetsLogOptions,
  ) {
    this.recovered = this.load();
    this.compact();
  }

  /** Offsets found on open (the latest per group, topic and partition). */
  offsets(): readonly RecoveredOffset[] {
    return this.recovered;
  }

  /** Append one commit; compacts when the log outgrew its bound. */
  append(group: string, topic: string, partition: number, entry: CommittedOffset): void {
    const line = JSON.stringify([group, topic, partition, entry.offset, entry.metadata ?? null]) + '\n';
    const buf = Buffer.from(line);
    writeAll(this.fd, buf);
    this.dirty = true;
    this.fileBytes += buf.length;
    this.remember(JSON.stringify([group, topic, partition]), line);
    if (this.fileBytes > Math.max(OFFSETS_COMPACT_BYTES, 2 * this.liveBytes)) this.compact();
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  private remember(key: string, line: string): void {
    const prev = this.latest.get(key);
    if (prev !== undefined) this.liveBytes -= Buffer.byteLength(prev);
    this.latest.set(key, line);
    this.liveBytes += Buffer.byteLength(line);
  }

  /** Read the log line by line, in chunks (never the whole file as one string). */
  private load(): RecoveredOffset[] {
    const out = new Map<string, RecoveredOffset>();
    if (!existsSync(this.path)) return [];
    const fd = openSync(this.path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      let carry: Buffer = Buffer.alloc(0);
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, null);
        if (n === 0) break;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
          this.parse(data.subarray(start, nl), out);
          start = nl + 1;
        }
        // the unfinished line is copied: `chunk` is reused by the next read
        carry = Buffer.from(data.subarray(start));
      }
      if (carry.length) this.parse(carry, out);
    } finally {
      closeSync(fd);
    }
    return [...out.values()];
  }

  private parse(bytes: Buffer, out: Map<string, RecoveredOffset>): void {
    if (bytes.length === 0) return;
    const line = bytes.toString('utf8');
    try {
      const [group, topic, partition, offset, metadata] = JSON.parse(line) as [
        string,
        string,
        number,
        number,
        string | null,
      ];
      if (
        typeof group !== 'string' ||
        typeof topic !== 'string' ||
        !Number.isInteger(partition) ||
        !Number.isSafeInteger(offset)
      )
        throw new Error('not an offset entry');
      const key = JSON.stringify([group, topic, partition]);
      out.set(key, { group, topic, partition, entry: { offset, metadata: metadata ?? undefined } });
      this.remember(key, `${line}\n`);
    } catch {
      this.o.warn(`recovery: ignored a torn line in ${this.path}`);
    }
  }

  /** Replace the log with a snapshot of the latest lines (temp file, fsync, rename, fsync of the directory). */
  private compact(): void {
    const snapshot = Buffer.from([...this.latest.values()].join(''));
    const old = this.fd;
    this.fd = replaceFile(this.path, (out) => writeAll(out, snapshot));
    if (old >= 0) this.o.retire(old);
    this.fileBytes = snapshot.length;
    this.dirty = false;
  }
}
