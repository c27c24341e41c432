// The `partita` CLI (a child process) on Kafka: the dead-letter round trip and tail --follow.
import { afterEach, describe, it } from 'vitest';
import { brokers, kafkaSkipReason, testTransport, unique } from '../kafka/kafka-test-env.js';
import { deadLetterScenario, followScenario } from './cli-scenario.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe.skipIf(kafkaSkipReason !== undefined)('partita CLI on Kafka', () => {
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });

  it('produce → tail → dead letter → dlq ls → redrive --dry-run → redrive: handled once by the failing group only', async () => {
    const transport = testTransport({ partitions: 2 });
    closing.push(transport);
    await deadLetterScenario({ transport, flags: ['--brokers', brokers.join(',')] }, unique('cli'), {
      audit: unique('audit'),
      billing: unique('billing'),
    });
  });

  it('tail --follow --from latest prints only what is published after it started', async () => {
    const transport = testTransport({ partitions: 2 });
    closing.push(transport);
    const topic = unique('cli-follow');
    await transport.publish([0, 1].map((partition) => ({ topic, partition, value: enc('"old"'), headers: {} })));
    await followScenario({ transport, flags: ['--brokers', brokers.join(',')] }, topic, () =>
      transport.publish([{ topic, partition: 1, value: enc('"followed"'), headers: {} }]),
    );
  });
});
