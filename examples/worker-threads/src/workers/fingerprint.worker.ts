/** The worker handler: runs on a `@partita/worker-pool` thread; the event loop stays free. */
import type { Message } from '@partita/core';
import { proofOfWork, ROUNDS } from '../proof-of-work.js';

export default function fingerprint(msg: Message<{ document: string }>): string {
  return proofOfWork(msg.value.document, ROUNDS);
}
