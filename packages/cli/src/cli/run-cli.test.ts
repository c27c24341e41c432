import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createConsoleLogger, defineHandler, type App } from '@partita/core';
import { serve, type ServedApp } from '@partita/http';
import { createMemoryBroker, memoryTransport } from '@partita/memory';
import { COMMANDS } from '../commands/command-list.js';
import { runIn } from './cli-io.test-support.js';

const ESC = '\u001b[';

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('partita: arguments, help and exit codes', () => {
  it('prints the commands on --help (exit 0), and on stderr with exit 2 when no command is given', async () => {
    const help = await runIn(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(c.name);
    const none = await runIn([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: partita <command>');
  });

  it.each(COMMANDS.map((c) => c.name))('has --help with usage, options and an example: %s', async (name) => {
    const r = await runIn([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: partita ${name}`);
    expect(r.stdout).toMatch(/Examples:\n {2}partita /);
    expect(r.stdout).toContain('--json');
    expect((await runIn(['help', ...name.split(' ')])).stdout).toBe(r.stdout);
  });

  it.each([
    [['topcs'], /unknown command "topcs"; did you mean topics\?/],
    [['dlq', 'rm', 'x'], /unknown command "dlq rm"; dlq has ls, show, redrive, purge/],
    [['topics', '--bogus'], /unknown option --bogus\nSee `partita topics --help`/],
    [['tail'], /missing <topic>/],
    [['topics', 'extra'], /unexpected argument "extra"/],
    [['tail', 't', '--limit', 'ten', '--brokers', 'h:1'], /--limit "ten" is not valid: expected an integer from 1 up/],
    [['dlq', 'redrive', 't', '--rate', '0', '--brokers', 'h:1'], /--rate "0" is not valid: expected a positive number/],
    [
      ['dlq', 'show', 't', 'seventeen', '--brokers', 'h:1'],
      /"seventeen" is not a record id: expected <partition>:<position>/,
    ],
    [['produce', 't', '--header', 'novalue', '--brokers', 'h:1'], /--header "novalue" is not name=value/],
    [['topics', '--transport', 'memory'], /embedded broker \(memory\) lives inside an app: reach it .* with --url/],
    [['topics', '--transport', 'kafak'], /--transport "kafak" is not a transport/],
    [['topics', '--url', 'http://x', '--brokers', 'h:1'], /give one of them/],
    [['topics', '--brokers', 'h:1', '--servers', 'n:1'], /give one broker/],
    [['topics'], /no broker or app given: pass --transport/],
    [
      ['dlq', 'purge', 't', '--brokers', 'h:1'],
      /refusing to purge every record of t without --yes \(not on a terminal\)/,
    ],
    [['topics', '--url', 'ftp://x'], /is not an http\(s\) URL/],
  ])('exits 2 on a usage error: %j', async (argv, message) => {
    const r = await runIn(argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a bad PARTITA_* variable, naming it', async () => {
    const r = await runIn(['topics'], { env: { PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: 'no port' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PARTITA_KAFKA_BROKERS/);
  });

  it('exits 3 when the app cannot be reached, saying what to check', async () => {
    const port = await closedPort();
    const r = await runIn(['topics', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(`cannot reach the app at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); is it running`),
    );
  });

  it('reports errors as JSON on stderr with --json', async () => {
    const r = await runIn(['topics', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { exitCode: 2, message: expect.stringMatching(/no broker/) } });
  });
});

describe('partita through a running app (memory broker)', () => {
  const token = 'cli-unit-token-0123456789';
  const broker = createMemoryBroker({ defaultPartitions: 2 });
  const transport = memoryTransport(broker);
  const handled: string[] = [];
  let app: App;
  let server: ServedApp;
  beforeAll(async () => {
    app = createApp({
      transport,
      logger: createConsoleLogger({ level: 'silent' }),
      handlers: [
        defineHandler<{ n: number }>({
          name: 'h',
          group: 'g',
          topic: 'unit',
          handle: (m) => void handled.push(String(m.value.n)),
        }),
      ],
    });
    server = await serve(app, { port: 0, admin: { transport, token } });
    await app.start();
  });
  afterAll(async () => {
    await server.close();
    await app.stop();
    await broker.close();
  });

  it('needs the token for writes: exit 1 saying how to pass it, and nothing published', async () => {
    const r = await runIn(['produce', 'unit', '{"n":0}', '--url', server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the write \(401.*\); pass its token with --token or PARTITA_ADMIN_TOKEN/);
    expect(r.stderr).not.toContain(token);
    expect((await transport.admin.topics()).find((t) => t.name === 'unit')?.depth ?? 0).toBe(0);
  });

  it('produces, lists and tails with the token from PARTITA_ADMIN_TOKEN; JSON for scripts', async () => {
    const env = { PARTITA_ADMIN_TOKEN: token };
    const produced = await runIn(['produce', 'raw', '--url', server.url, '--key', 'k'], {
      env,
      stdin: '{"n":1}\n\n{"n":2}\n',
    });
    expect(produced).toMatchObject({ code: 0, stdout: 'published 2 records to raw\n' });
    const topics = await runIn(['topics', '--url', server.url, '--json'], { env });
    expect((JSON.parse(topics.stdout) as { topics: unknown[] }).topics).toContainEqual(
      expect.objectContaining({ name: 'raw', partitions: 2, depth: 2 }),
    );
    const tail = await runIn(['tail', 'raw', '--url', server.url, '--json']);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; key: string });
    expect(lines.map((l) => [l.key, l.text])).toEqual([
      ['k', '{"n":1}'],
      ['k', '{"n":2}'],
    ]);
    expect((await runIn(['produce', 'unit', '{"n":3}', '--url', server.url], { env })).code).toBe(0);
    await expect.poll(() => handled).toEqual(['3']);
  });

  it('colours only on a terminal without NO_COLOR', async () => {
    const tty = await runIn(['topics', '--url', server.url], { tty: true });
    expect(tty.stdout).toContain(ESC);
    expect((await runIn(['topics', '--url', server.url], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain(
      ESC,
    );
    expect((await runIn(['topics', '--url', server.url], { tty: true })).stdout).toMatch(/TOPIC +PARTITIONS +DEPTH/);
    expect((await runIn(['topics', '--url', server.url])).stdout).not.toContain(ESC);
  });

  it('exits 3 for a topic or record that does not exist', async () => {
    const r = await runIn(['tail', 'absent-topic', '--url', server.url]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/absent-topic/);
    const show = await runIn(['dlq', 'show', 'unit', '1:999', '--url', server.url]);
    expect(show.code).toBe(3);
    expect(show.stderr).toMatch(/no record 1:999 in unit/);
  });

  it('inspect shows the lanes with their machine state', async () => {
    const r = await runIn(['inspect', '--url', server.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/app running +transport memory/);
    expect(r.stdout).toMatch(/^h +g +unit +0 +running\./m);
    expect(r.stdout).toMatch(/^h +g +unit +1 +running\./m);
  });
});
