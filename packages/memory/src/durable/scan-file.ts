import { closeSync, fsyncSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FRAME_HEADER, scanEntries, type LogEntry } from './record-codec.js';

const SCAN_CHUNK = 8 * 1024 * 1024;

/**
 * Scan a whole file in chunks through one reused buffer (entries are views of
 * it: do not keep them). Returns the valid prefix length and the file size.
 */
export function scanFile(
  path: string,
  verify: boolean,
  onEntry: (e: LogEntry, pos: number) => boolean | void,
): { validBytes: number; size: number; problem: string | undefined } {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(size, 1)));
    let filePos = 0;
    for (;;) {
      const want = Math.min(buf.length, size - filePos);
      if (want <= 0) return { validBytes: filePos, size, problem: undefined };
      const chunk = buf.subarray(0, want);
      readFully(fd, chunk, filePos);
      const res = scanEntries(chunk, (e, p) => onEntry(e, filePos + p), verify);
      const end = filePos + res.validBytes;
      if (!res.problem) {
        filePos = end;
        continue;
      }
      if (res.problem.startsWith('torn') && filePos + want < size) {
        // a frame crosses the chunk end: continue from its start, with room for it
        if (res.validBytes > 0) {
          filePos = end;
          continue;
        }
        const need = chunk.readUInt32LE(0) + FRAME_HEADER;
        if (need <= buf.length || need > size - filePos) return { validBytes: end, size, problem: res.problem };
        buf = Buffer.allocUnsafe(need);
        continue;
      }
      return { validBytes: end, size, problem: res.problem };
    }
  } finally {
    closeSync(fd);
  }
}

export function readFully(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error(`unexpected end of segment file at ${position + off}`);
    off += n;
  }
}

/** Write the whole buffer (regular files may write short). */
export function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** fsync a directory, so entries just created or renamed in it survive a machine crash. */
export function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace `path` atomically with what `write` puts into a temp file (fsync,
 * rename over `path`, fsync of the directory): a crash leaves either the old
 * file or the new one, both complete. Returns a descriptor of the new file
 * open for appends.
 */
export function replaceFile(path: string, write: (fd: number) => void): number {
  const tmp = `${path}.tmp`;
  const out = openSync(tmp, 'w');
  try {
    write(out);
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, path);
  syncDirectory(dirname(path));
  return openSync(path, 'a');
}
