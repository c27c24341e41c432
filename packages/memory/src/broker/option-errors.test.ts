import { ConfigError } from '@partita/core';
import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from './create-memory-broker.js';

describe('bad options of the embedded broker are ConfigErrors naming the option', () => {
  it('queue() and retention options', async () => {
    const broker = createMemoryBroker();
    expect(() => broker.queue({ topic: 't', group: '' })).toThrow(ConfigError);
    expect(() => broker.queue({ topic: 't', group: 'g', visibilityTimeoutMs: 0 })).toThrow(
      /option "visibilityTimeoutMs"/,
    );
    expect(() => broker.queue({ topic: 't', group: 'g', maxDeliveries: 0 })).toThrow(/option "maxDeliveries"/);
    expect(() => createMemoryBroker({ deadLetterRetention: 5 as never })).toThrow(/option "deadLetterRetention"/);
    expect(() => createMemoryBroker({ deadLetterRetention: 5 as never })).toThrow(ConfigError);
    await broker.close();
  });
});
