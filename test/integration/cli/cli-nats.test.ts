// The `partita` CLI (a child process) on NATS JetStream: the dead-letter round trip and tail --follow.
import { natsTransport } from '@partita/nats';
import { afterAll, afterEach, describe, it } from 'vitest';
import { deleteStreamsFor, NATS_URL, natsAvailable, uniq } from '../nats/nats-helpers.js';
import { deadLetterScenario, followScenario } from './cli-scenario.js';

const up = await natsAvailable();
const topics: string[] = [];
const enc = (s: string) => new TextEncoder().encode(s);

describe.skipIf(!up)('partita CLI on NATS', () => {
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c.close().catch(() => {});
  });
  afterAll(() => deleteStreamsFor(topics));

  it('produce → tail → dead letter → dlq ls → redrive --dry-run → redrive: handled once by the failing group only', async () => {
    const transport = natsTransport({ servers: [NATS_URL] });
    closing.push(transport);
    const topic = uniq('pt.cli');
    topics.push(topic);
    await deadLetterScenario({ transport, flags: ['--servers', NATS_URL] }, topic, {
      audit: uniq('audit'),
      billing: uniq('billing'),
    });
  });

  it('tail --follow --from latest prints only what is published after it started', async () => {
    const transport = natsTransport({ servers: [NATS_URL] });
    closing.push(transport);
    const topic = uniq('pt.follow');
    topics.push(topic);
    await transport.publish([{ topic, value: enc('"old"'), headers: {} }]);
    await followScenario({ transport, flags: ['--servers', NATS_URL] }, topic, () =>
      transport.publish([{ topic, value: enc('"followed"'), headers: {} }]),
    );
  });
});
