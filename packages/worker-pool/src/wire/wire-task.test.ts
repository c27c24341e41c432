import { describe, expect, it } from 'vitest';
import { jsonCodec, type ExecutorMessage, type ExecutorTask } from '@partita/core';
import { messageValue, packTask, TRANSFER_MIN_BYTES, wireMessage, wireNumbers } from './wire-task.js';

const progress = { buffer: new SharedArrayBuffer(64), offset: 8 };

function msg(i: number, value: Uint8Array, over: Partial<ExecutorMessage> = {}): ExecutorMessage {
  return {
    id: `t/2/${i}`,
    topic: 't',
    key: `k${i}`,
    value,
    headers: {},
    partition: 2,
    offset: String(i),
    timestamp: 1000 + i,
    attempt: 1 + i,
    ...over,
  };
}
const task = (messages: ExecutorMessage[]): ExecutorTask => ({
  handler: 'h',
  worker: 'file:///w.mjs',
  timeoutMs: 1000,
  contentType: 'application/json',
  messages,
});

describe('packTask', () => {
  it('packs numbers and values into one buffer that the worker side reads back', () => {
    const values = [jsonCodec.encode({ a: 1 }), new Uint8Array(0), jsonCodec.encode('x'.repeat(50))];
    const { wire, transfer } = packTask(
      task(values.map((v, i) => msg(i, v, i === 1 ? { id: 'custom', headers: { h: 'v' } } : {}))),
      9,
      progress,
      'debug',
    );
    expect(transfer).toHaveLength(0); // small: copied, not transferred
    expect(wire).toMatchObject({
      token: 9,
      count: 3,
      log: { level: 'debug', bindings: { handler: 'h' } },
      topics: 't',
      progress: progress.buffer,
      progressOffset: 8,
      ids: ['t/2/0', 'custom', 't/2/2'],
    });
    const numbers = wireNumbers(wire);
    values.forEach((v, i) => {
      expect([...messageValue(wire, numbers, i)]).toEqual([...v]);
      const m = wireMessage(wire, numbers, i, 'decoded');
      expect(m).toMatchObject({
        key: `k${i}`,
        partition: 2,
        offset: String(i),
        timestamp: 1000 + i,
        attempt: 1 + i,
        value: 'decoded',
      });
    });
    expect(wireMessage(wire, numbers, 1, null).headers).toEqual({ h: 'v' });
  });

  it('transfers the buffer of a large task instead of copying it', () => {
    const big = new Uint8Array(TRANSFER_MIN_BYTES).fill(7);
    const { wire, transfer } = packTask(task([msg(0, big)]), 1, progress, 'info');
    expect(transfer).toEqual([wire.data]);
    expect(messageValue(wire, wireNumbers(wire), 0)[100]).toBe(7);
  });
});
