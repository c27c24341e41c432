import { describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { soakConnector } from '../connectors/connectors.js';
import { resolveSoakOptions } from './soak-options.js';

describe('soak options', () => {
  it('defaults to 60 s, 1,000 keys, 3–5 members changing every ≤ 500 ms', () => {
    expect(resolveSoakOptions({ connector: 'memory' })).toMatchObject({
      seconds: 60,
      keys: 1000,
      minMembers: 3,
      maxMembers: 5,
      maxChangeIntervalMs: 500,
    });
  });

  it('rejects bad numbers and unknown connectors with a ConfigError naming them', () => {
    expect(() => resolveSoakOptions({ connector: 'memory', seconds: -1 })).toThrow(ConfigError);
    expect(() => resolveSoakOptions({ connector: 'memory', seconds: -1 })).toThrow(/seconds/);
    expect(() => resolveSoakOptions({ connector: 'memory', minMembers: 4, maxMembers: 3 })).toThrow(/maxMembers/);
    expect(() => soakConnector('carrier-pigeon')).toThrow(
      /unknown connector 'carrier-pigeon'; expected one of memory, kafka, nats/,
    );
  });
});
