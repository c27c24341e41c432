/**
 * The demo's CPU-heavy stage, run on worker threads by `@partita/worker-pool`:
 * each order document is canonicalised, checksummed (SHA-256, a few rounds to
 * stand for real work) and deflated for the archive. About 0.3–1 ms of CPU
 * per order on a laptop-class core; the event loop stays free meanwhile.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Message } from '@partita/core';
import type { WorkerHandlerContext } from '@partita/worker-pool';

/** What one archived order amounts to. */
export interface ArchiveRecord {
  readonly orderKey: string | undefined;
  readonly sha256: string;
  readonly rawBytes: number;
  readonly deflatedBytes: number;
}

const ROUNDS = 16;

export default function archive(msg: Message<unknown>, ctx: WorkerHandlerContext): ArchiveRecord {
  const doc = Buffer.from(JSON.stringify({ key: msg.key, offset: msg.offset, order: msg.value }));
  let digest = createHash('sha256').update(doc).digest();
  for (let i = 1; i < ROUNDS && !ctx.signal.aborted; i++)
    digest = createHash('sha256').update(digest).update(doc).digest();
  const deflated = deflateSync(Buffer.concat([doc, doc, doc, doc]), { level: 9 });
  const record: ArchiveRecord = {
    orderKey: msg.key,
    sha256: digest.toString('hex'),
    rawBytes: doc.byteLength,
    deflatedBytes: deflated.byteLength,
  };
  ctx.logger.debug({ ...record }, 'archived order');
  return record;
}
