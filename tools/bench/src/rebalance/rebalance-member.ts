/**
 * A member process of the rebalance scenario: `node rebalance-member.js <json>`
 * with `{ broker: 'kafka' | 'nats', topic, group, brokers | servers }`. Reports
 * to its parent over IPC; SIGTERM stops it gracefully (`app.stop()`), then it exits.
 */
import type { Transport } from '@partita/core';
import { kafkaTransport } from '@partita/kafka';
import { natsTransport } from '@partita/nats';
import { memberApp } from './member-app.js';
import { wallNow, type MemberReport } from './member-report.js';

interface MemberConfig {
  readonly broker: 'kafka' | 'nats';
  readonly topic: string;
  readonly group: string;
  readonly brokers?: string[];
  readonly servers?: string[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
const send = (r: MemberReport): void => {
  process.send?.(r);
};
const transport: Transport =
  config.broker === 'kafka'
    ? kafkaTransport({
        brokers: config.brokers!,
        clientId: 'bench-rebalance',
        provisionTopics: false,
        retryTiersMs: [],
        dlqSuffix: false,
      })
    : natsTransport({ servers: config.servers! });
const app = memberApp(transport, config.topic, config.group, send);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void app.stop({ drainTimeoutMs: 10_000 }).finally(() => {
    send({ t: 'stopped', at: wallNow() });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50);
  });
});
process.on('disconnect', () => {
  if (!stopping) process.exit(1);
});
try {
  await app.start();
  send({ t: 'ready', at: wallNow() });
} catch (err) {
  send({ t: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
