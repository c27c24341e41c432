// A pino instance passed to createApp as it is receives the runtime's log
// lines with their fields, redacted (partita's Logger is pino's shape).
import { Writable } from 'node:stream';
import { createApp, defineHandler } from '@partita/core';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { waitFor } from '@partita/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

describe('createApp({ logger: pino() })', () => {
  it('gets every field of the runtime’s log lines, redacted', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const broker = createMemoryBroker({ defaultPartitions: 1 });
    const app = createApp({
      transport: memoryTransport(broker),
      logger,
      handlers: [defineHandler({ name: 'p', topic: 'pino-topic', handle: () => undefined })],
    });
    app.on('lane.assigned', () => {
      throw new Error('listener failed for amqp://user:hunter2@host');
    });
    try {
      await app.start();
      const line = await waitFor(() => lines.find((l) => l.msg === 'event listener threw'), {
        description: 'the log line',
        timeoutMs: 10_000,
      });
      expect(line.level).toBe(50);
      expect(line.event).toBe('lane.assigned');
      expect((line.err as { message: string }).message).toContain('listener failed');
      expect(JSON.stringify(line)).not.toContain('hunter2');
    } finally {
      await app.stop();
      await broker.close();
    }
  });
});
