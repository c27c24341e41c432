import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { brokersRequired, tcpReachable } from './broker-availability.js';

describe('tcpReachable', () => {
  it('is true for a listening port and a reason for a closed one', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(tcpReachable({ host: '127.0.0.1', port })).resolves.toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    await expect(tcpReachable({ host: '127.0.0.1', port })).resolves.toMatch(/ECONNREFUSED/);
  });

  it('validates host and port', () => {
    expect(() => tcpReachable({ host: '', port: 1 })).toThrow(TypeError);
    expect(() => tcpReachable({ host: 'x', port: 0 })).toThrow(RangeError);
  });
});

describe('brokersRequired', () => {
  it('reads PARTITA_REQUIRE_BROKERS', () => {
    expect(brokersRequired({ PARTITA_REQUIRE_BROKERS: '1' })).toBe(true);
    expect(brokersRequired({ PARTITA_REQUIRE_BROKERS: 'true' })).toBe(true);
    expect(brokersRequired({ PARTITA_REQUIRE_BROKERS: '' })).toBe(false);
    expect(brokersRequired({ PARTITA_REQUIRE_BROKERS: '0' })).toBe(false);
    expect(brokersRequired({})).toBe(false);
  });
});
