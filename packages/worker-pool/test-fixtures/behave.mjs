// Test worker module: what it does depends on msg.value.op.
import { existsSync } from 'node:fs';
import { NonRetryableError } from '@partita/core';

const gate = new Int32Array(new SharedArrayBuffer(4));
const block = (ms) => Atomics.wait(gate, 0, 0, ms);

export default async function behave(msg, ctx) {
  const v = msg.value ?? {};
  switch (v.op) {
    case 'ok':
      return v;
    case 'throw':
      throw new Error(`boom ${v.n ?? ''}`.trim());
    case 'nonretryable':
      throw new NonRetryableError('bad input');
    case 'flagged':
      throw Object.assign(new Error('flagged'), { retryable: false, code: 'E_FLAGGED' });
    case 'string':
      throw 'a string';
    case 'exit':
      process.exit(3);
    // falls through (never: process.exit does not return)
    case 'loop':
      for (;;) {
        /* blocks the thread */
      }
    case 'block':
      block(v.ms);
      return v;
    case 'await-file': {
      // Blocks the thread (no event loop turns) until the file exists, at most 60 s.
      const end = Date.now() + 60_000;
      while (!existsSync(v.path) && Date.now() < end) block(5);
      return v;
    }
    case 'sleep':
      await new Promise((r) => setTimeout(r, v.ms));
      return v;
    case 'hang':
      ctx.signal.addEventListener('abort', () => ctx.logger.info({ reason: ctx.signal.reason?.name }, 'aborted'));
      return new Promise(() => {});
    case 'report':
      ctx.logger.info(
        {
          value: v,
          id: msg.id,
          topic: msg.topic,
          key: msg.key,
          headers: msg.headers,
          partition: msg.partition,
          offset: msg.offset,
          timestamp: msg.timestamp,
          attempt: msg.attempt,
          ctxAttempt: ctx.attempt,
          handler: ctx.handler,
          trace: ctx.trace,
          aborted: ctx.signal.aborted,
          threadId: ctx.threadId,
        },
        'report',
      );
      return v;
    default:
      return undefined;
  }
}
