import { cpus } from 'node:os';
import { defineHandler, type AnyHandlerDefinition, type Executor } from '@partita/core';
import { workerPool } from '@partita/worker-pool';
import { groupOf, topics } from './topics.js';

export interface ArchiveStage {
  readonly handlers: AnyHandlerDefinition[];
  readonly executor: Executor | undefined;
  /** Work done per worker thread, for the summary. */
  perThread(): { thread: string; tasks: number; messages: number }[];
}

/**
 * The CPU-heavy stage: every validated order is checksummed and compressed
 * for the archive on worker threads (apps/demo/src/workers/archive.worker.ts),
 * keeping the event loop free for billing.
 */
export function archiveStage(): ArchiveStage {
  // Two threads even on a 2-core machine, so the summary shows the work spread across threads.
  const threads = Math.max(2, Math.min(4, cpus().length - 1));
  const pool = workerPool({ threads });
  const handler = defineHandler({
    name: 'archive',
    ...groupOf('archive'),
    topic: topics.validated,
    ordering: 'key',
    maxInFlight: 256,
    worker: new URL('./workers/archive.worker.js', import.meta.url),
  });
  return {
    handlers: [handler],
    executor: pool,
    perThread() {
      const stats = pool.stats() as { threads?: readonly { threadId: number; tasks: number; messages: number }[] };
      return (stats.threads ?? []).map((t) => ({ thread: `#${t.threadId}`, tasks: t.tasks, messages: t.messages }));
    },
  };
}
