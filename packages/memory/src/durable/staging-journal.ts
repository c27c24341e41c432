import { closeSync, existsSync, fsyncSync } from 'node:fs';
import { recordBytes, type StagedRecord } from '../log/stored-record.js';
import { encodeEntries } from './record-codec.js';
import { replaceFile, scanFile, writeAll } from './scan-file.js';

/**
 * `staged.log` is rewritten as a snapshot of the records still waiting once it
 * holds more than this many bytes and more than twice the snapshot: its size
 * stays below `max(STAGED_COMPACT_BYTES, 2 × snapshot) + one entry`.
 */
export const STAGED_COMPACT_BYTES = 4 * 1024 * 1024;
/** Entries per frame of a snapshot. */
const SNAPSHOT_FRAME = 1000;
const STAGE_META = '\u0000stage';
const UNSTAGE = '\u0000unstage';

interface Pending {
  readonly topic: string;
  readonly partition: number;
  readonly rec: StagedRecord;
  /** Bytes of its entry in the journal. */
  readonly size: number;
}

export interface StagingJournalOptions {
  readonly warn: (message: string) => void;
  /** Takes the descriptor of the file a compaction replaced (see `OffsetsLog`). */
  readonly retire: (fd: number) => void;
}

/**
 * The journal of delayed and prioritised records not yet in a partition log:
 * a stage entry per record (its topic, partition and due time in a header),
 * an unstage entry (stage ids) when records move to the log. Scanned in chunks
 * on open (a torn tail is ignored with a warning), then compacted to the
 * records still waiting; compacted again while running whenever it outgrows
 * its bound (temp file, fsync, rename, fsync of the directory: a crash leaves
 * the old journal or the snapshot, both complete).
 */
export class StagingJournal {
  /** Descriptor of the journal, open for appends (it changes at each compaction). */
  fd = -1;
  /** Written since the last sync. */
  dirty = false;
  private nextStageId = 1;
  /** Records staged and not yet sequenced, by stage id. */
  private readonly pending = new Map<number, Pending>();
  private liveBytes = 0;
  private fileBytes = 0;

  constructor(
    private readonly path: string,
    private readonly o: StagingJournalOptions,
  ) {
    this.load();
    this.compact();
  }

  /** Records of one partition that were waiting when the journal was opened (or staged since). */
  waiting(topic: string, partition: number): StagedRecord[] {
    const out: StagedRecord[] = [];
    for (const s of this.pending.values()) if (s.topic === topic && s.partition === partition) out.push(s.rec);
    return out;
  }

  /** Journal a staged record (assigns its `stageId`). */
  staged(topic: string, partition: number, rec: StagedRecord): void {
    rec.stageId = this.nextStageId++;
    const buf = encodeEntries([stageEntry(topic, partition, rec)]);
    this.write(buf);
    this.pending.set(rec.stageId, { topic, partition, rec, size: buf.length });
    this.liveBytes += buf.length;
    this.maybeCompact();
  }

  /** Journal that records left staging (they are in the partition log now). */
  unstaged(records: readonly StagedRecord[]): void {
    const ids = Float64Array.from(records, (r) => r.stageId);
    this.write(encodeEntries([unstageEntry(ids)]));
    for (const id of ids) this.forget(id);
    this.maybeCompact();
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  private write(buf: Buffer): void {
    writeAll(this.fd, buf);
    this.dirty = true;
    this.fileBytes += buf.length;
  }

  private forget(id: number): void {
    const s = this.pending.get(id);
    if (!s) return;
    this.pending.delete(id);
    this.liveBytes -= s.size;
  }

  private maybeCompact(): void {
    if (this.fileBytes > Math.max(STAGED_COMPACT_BYTES, 2 * this.liveBytes)) this.compact();
  }

  /** Scan the journal in chunks (entries are views of a reused buffer: copied here). */
  private load(): void {
    if (!existsSync(this.path)) return;
    const res = scanFile(this.path, true, (e) => {
      if (e.headers[UNSTAGE] !== undefined) {
        const ids = new Float64Array(e.value.buffer.slice(e.value.byteOffset, e.value.byteOffset + e.value.byteLength));
        for (const id of ids) this.forget(id);
        return;
      }
      const [topic, partition, dueAt] = JSON.parse(e.headers[STAGE_META]!) as [string, number, number];
      const headers = { ...e.headers };
      delete headers[STAGE_META];
      const value = Uint8Array.prototype.slice.call(e.value);
      const rec: StagedRecord = {
        key: e.key,
        value,
        headers,
        priority: e.priority,
        expiresAt: e.expiresAt,
        dueAt,
        bytes: recordBytes(e.key, value, headers),
        publishedAt: e.timestamp,
        stageId: e.offset,
      };
      const size = encodeEntries([stageEntry(topic, partition, rec)]).length;
      this.pending.set(e.offset, { topic, partition, rec, size });
      this.liveBytes += size;
      this.nextStageId = Math.max(this.nextStageId, e.offset + 1);
    });
    if (res.problem) this.o.warn(`recovery: ${this.path}: ${res.problem} at byte ${res.validBytes}; ignored the rest`);
  }

  /** Replace the journal with the records still waiting (temp file, fsync, rename, fsync of the directory). */
  private compact(): void {
    const live = [...this.pending.values()].sort((x, y) => x.rec.stageId - y.rec.stageId);
    let bytes = 0;
    const old = this.fd;
    this.fd = replaceFile(this.path, (out) => {
      // a frame holds consecutive ids only: one frame per run of consecutive ids (at most SNAPSHOT_FRAME entries)
      for (let i = 0; i < live.length;) {
        let j = i + 1;
        while (j < live.length && j - i < SNAPSHOT_FRAME && live[j]!.rec.stageId === live[j - 1]!.rec.stageId + 1) j++;
        const frame = encodeEntries(live.slice(i, j).map((s) => stageEntry(s.topic, s.partition, s.rec)));
        writeAll(out, frame);
        bytes += frame.length;
        i = j;
      }
    });
    if (old >= 0) this.o.retire(old);
    this.fileBytes = bytes;
    this.dirty = false;
  }
}

function stageEntry(topic: string, partition: number, r: StagedRecord) {
  return {
    offset: r.stageId,
    timestamp: r.publishedAt,
    expiresAt: r.expiresAt,
    priority: r.priority,
    key: r.key,
    headers: { ...r.headers, [STAGE_META]: JSON.stringify([topic, partition, r.dueAt]) },
    value: r.value,
  };
}

function unstageEntry(ids: Float64Array) {
  return {
    offset: 0,
    timestamp: 0,
    expiresAt: 0,
    priority: 0,
    key: undefined,
    headers: { [UNSTAGE]: '1' },
    value: new Uint8Array(ids.buffer),
  };
}
