// What the runtime tests on the embedded broker share: a silent logger,
// unique names, and brokers and apps cleaned up after each test.
import { afterEach } from 'vitest';
import type { App, Logger } from '@partita/core';
import { createMemoryBroker, type MemoryBroker } from '@partita/memory';
import { createConsoleLogger } from '@partita/core';

export const quiet: Logger = createConsoleLogger({ level: 'silent' });

export const uniq = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

/** Run `fn` after the current test (in reverse order of registration). */
export function afterThisTest(fn: () => Promise<unknown>): void {
  cleanup.push(fn);
}

/** An embedded broker closed after the test. */
export function memoryBroker(partitions = 1): MemoryBroker {
  const b = createMemoryBroker({ defaultPartitions: partitions });
  afterThisTest(() => b.close());
  return b;
}

/** `app`, stopped after the test. */
export function stoppedAfterTest(app: App, drainTimeoutMs = 2000): App {
  afterThisTest(() => app.stop({ drainTimeoutMs }));
  return app;
}
