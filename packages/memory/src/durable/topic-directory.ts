import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from './scan-file.js';

/** Encoded names longer than this get a readable prefix and a hash instead. */
const MAX_PLAIN = 120;
/** Length of the readable prefix of a hashed name. */
const PREFIX = 80;
const KEEP = /^[a-z0-9._-]$/;

/**
 * The directory (under `logs/`) of a topic's partitions: `t-` and the name's
 * UTF-8 bytes, each kept when in `[a-z0-9._-]` and written `%xx` (lowercase
 * hex) otherwise — uppercase letters included, and a trailing `.` (which
 * Windows drops). The result is all lowercase, so two names differing only in
 * case never share a directory on a case-insensitive file system; it decodes
 * back to the name, so the encoding is injective. When the encoding passes
 * 120 characters it becomes `t-<first 80 encoded characters>~<128-bit
 * SHA-256 of the name in hex>` (`~` never occurs in the plain form), at most
 * 115 bytes: far below the 255 bytes file systems allow, whatever the name.
 */
export function topicDirName(topic: string): string {
  const bytes = Buffer.from(topic, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const ch = String.fromCharCode(b);
    const trailingDot = ch === '.' && i === bytes.length - 1;
    out += KEEP.test(ch) && !trailingDot ? ch : `%${b.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= MAX_PLAIN) return `t-${out}`;
  let cut = PREFIX;
  // do not cut an escape in half
  const pct = out.lastIndexOf('%', cut - 1);
  if (pct >= 0 && pct > cut - 3) cut = pct;
  return `t-${out.slice(0, cut)}~${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
}

/** The directory name releases before this encoding used (`t-` + `encodeURIComponent`), read for migration. */
export function legacyTopicDirName(topic: string): string {
  return `t-${encodeURIComponent(topic)}`;
}

/**
 * A topic's directory under `logsDir` (see `topicDirName`). A directory of
 * the older layout (`legacyTopicDirName`) is renamed to it, with a warning.
 */
export function topicDirectory(logsDir: string, topic: string, warn: (message: string) => void): string {
  const dir = join(logsDir, topicDirName(topic));
  const legacy = join(logsDir, legacyTopicDirName(topic));
  if (legacy !== dir && !existsSync(dir) && existsSync(legacy)) {
    renameSync(legacy, dir);
    warn(`recovery: moved ${legacy} to ${dir} (the current layout of topic directories)`);
  }
  return dir;
}

/** Create a topic's partition directories and sync them and their parents, before the topic is recorded anywhere. */
export function createTopicDirectories(dir: string, partitions: number): void {
  for (let p = 0; p < partitions; p++) mkdirSync(join(dir, String(p)), { recursive: true });
  syncDirectory(dir);
  syncDirectory(join(dir, '..'));
}
