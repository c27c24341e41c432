// Runs the "before" side on the Kafka of the integration global setup (integration project).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';
import { brokersRequired } from '@partita/testing';

const before = fileURLToPath(new URL('../dist/before.js', import.meta.url));
const kafka = inject('kafka');
if (kafka.skip && brokersRequired()) throw new Error(`PARTITA_REQUIRE_BROKERS is set but ${kafka.skip}`);

it.skipIf(kafka.skip !== undefined)(
  'before: the plain KafkaJS consumer charges the good orders and only logs the poison ones (nothing kept)',
  async () => {
    const topic = `example-kafkajs-${randomBytes(4).toString('hex')}`;
    const { stdout } = await promisify(execFile)(process.execPath, [before], {
      timeout: 150_000,
      env: {
        ...process.env,
        KAFKA_BROKERS: (kafka.brokers ?? []).join(','),
        EXAMPLE_TOPIC: topic,
        EXAMPLE_GROUP: `billing-${topic}`,
        EXAMPLE_ORDERS: '200',
      },
    });
    expect(stdout).toContain('before (kafkajs): 196 charged, 4 skipped (logged, not kept anywhere)');
  },
  180_000,
);
