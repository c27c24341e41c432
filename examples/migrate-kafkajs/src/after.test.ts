// Runs the "after" side on the Kafka of the integration global setup (integration project).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';
import { brokersRequired } from '@partita/testing';

const after = fileURLToPath(new URL('../dist/after.js', import.meta.url));
const kafka = inject('kafka');
if (kafka.skip && brokersRequired()) throw new Error(`PARTITA_REQUIRE_BROKERS is set but ${kafka.skip}`);

it.skipIf(kafka.skip !== undefined)(
  'after: every order charged or dead-lettered, none missing',
  async () => {
    const topic = `example-kafkajs-${randomBytes(4).toString('hex')}`;
    const { stdout } = await promisify(execFile)(process.execPath, [after], {
      timeout: 150_000,
      env: {
        ...process.env,
        KAFKA_BROKERS: (kafka.brokers ?? []).join(','),
        EXAMPLE_TOPIC: topic,
        EXAMPLE_ORDERS: '200',
      },
    });
    expect(stdout).toContain(`after (partita): 196 charged, 4 dead-lettered to ${topic}.dlq, 0 missing`);
  },
  180_000,
);
