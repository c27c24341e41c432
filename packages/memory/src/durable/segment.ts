import { existsSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { recordBytes, type StoredRecord } from '../log/stored-record.js';
import { FRAME_HEADER, scanEntries, type LogEntry } from './record-codec.js';
import { readFully } from './scan-file.js';
import { upperBound } from './segment-index.js';

/** Bytes read per cold fetch / recovery chunk. */
const READ_CHUNK = 1024 * 1024;

/** One segment of a partition's log: its files are named by `base` (see {@link segmentFile}). */
export interface Segment {
  readonly base: number;
  bytes: number;
  /** Next offset after this segment's last record. */
  next: number;
  lastTimestamp: number;
  /** Offset index: relative offsets and byte positions of batch frames (ascending). */
  idxRel: number[];
  idxPos: number[];
  /** Time index: timestamps and relative offsets (ascending). */
  timeTs: number[];
  timeRel: number[];
  readFd: number;
}

/** A segment file's name: the base offset in 20 digits, then `ext` (`log`, `index`, `timeindex`). */
export const segmentFile = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

/** Trust a closed segment's index files (clean shutdown); false when they are missing or inconsistent. */
export function loadIndexes(dir: string, seg: Segment, nextBase: number): boolean {
  const logPath = join(dir, segmentFile(seg.base, 'log'));
  const idxPath = join(dir, segmentFile(seg.base, 'index'));
  const timePath = join(dir, segmentFile(seg.base, 'timeindex'));
  if (!existsSync(idxPath) || !existsSync(timePath)) return false;
  const idx = readFileSync(idxPath);
  const time = readFileSync(timePath);
  if (idx.length % 8 !== 0 || time.length % 12 !== 0 || time.length === 0) return false;
  for (let p = 0; p < idx.length; p += 8) {
    seg.idxRel.push(idx.readUInt32LE(p));
    seg.idxPos.push(idx.readUInt32LE(p + 4));
  }
  for (let p = 0; p < time.length; p += 12) {
    seg.timeTs.push(time.readDoubleLE(p));
    seg.timeRel.push(time.readUInt32LE(p + 8));
  }
  seg.bytes = statSync(logPath).size;
  seg.next = nextBase;
  seg.lastTimestamp = seg.timeTs[seg.timeTs.length - 1]!;
  return true;
}

/** Up to `max` records of `seg` from offset `from` into `out`, through its offset index (~1 MiB reads). */
export function readSegment(dir: string, seg: Segment, from: number, max: number, out: StoredRecord[]): void {
  const i = upperBound(seg.idxRel, from - seg.base) - 1;
  let pos = i >= 0 ? seg.idxPos[i]! : 0;
  if (seg.readFd < 0) seg.readFd = openSync(join(dir, segmentFile(seg.base, 'log')), 'r');
  while (out.length < max && pos < seg.bytes) {
    let len = Math.min(READ_CHUNK, seg.bytes - pos);
    let buf = Buffer.allocUnsafe(len);
    readFully(seg.readFd, buf, pos);
    const frameLen = buf.readUInt32LE(0) + FRAME_HEADER;
    if (frameLen > len) {
      len = frameLen;
      buf = Buffer.allocUnsafe(len);
      readFully(seg.readFd, buf, pos);
    }
    const res = scanEntries(
      buf,
      (e) => {
        if (e.offset >= from && out.length < max) out.push(toStored(e));
        return undefined;
      },
      false,
    );
    if (res.validBytes === 0) break;
    pos += res.validBytes;
  }
}

export function newSegment(base: number): Segment {
  return { base, bytes: 0, next: base, lastTimestamp: 0, idxRel: [], idxPos: [], timeTs: [], timeRel: [], readFd: -1 };
}

function toStored(e: LogEntry): StoredRecord {
  return {
    key: e.key,
    value: e.value,
    headers: e.headers,
    offset: String(e.offset),
    timestamp: e.timestamp,
    expiresAt: e.expiresAt,
    bytes: recordBytes(e.key, e.value, e.headers),
    priority: e.priority,
    expired: false,
  };
}

/** Delete a segment's log and index files (those that exist). */
export function removeSegmentFiles(dir: string, base: number): void {
  for (const ext of ['log', 'index', 'timeindex']) rmIfExists(join(dir, segmentFile(base, ext)));
}

function rmIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
