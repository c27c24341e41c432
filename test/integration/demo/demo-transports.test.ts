// `npm start` on every connector: the demo reads PARTITA_TRANSPORT (core's
// transportFromEnv), runs its order pipeline on that broker, names the broker in
// its summary and accounts for every order: handled or dead-lettered, none lost.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, inject, it } from 'vitest';
import { brokersRequired, REQUIRE_BROKERS_ENV, tcpReachable } from '@partita/testing';
import { deletePrefix } from '../redis/redis-helpers.js';

const main = fileURLToPath(new URL('../../../apps/demo/dist/main.js', import.meta.url));
// Short runs (SQS on ElasticMQ handles ~50 msg/s on a loaded machine): one batch, 6 poison orders.
const ORDERS = 300;
const POISON_EVERY = 50;

const kafka = inject('kafka');
const elasticmq = inject('elasticmq');
const NATS = process.env.PARTITA_NATS_SERVERS ?? 'nats://127.0.0.1:4222';
const RABBITMQ = process.env.PARTITA_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS = process.env.PARTITA_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why a broker cannot be used here, or undefined; throws when brokers are required. */
async function unavailable(reason: Promise<string | undefined>): Promise<string | undefined> {
  const why = await reason;
  if (why && brokersRequired()) throw new Error(`${why} and ${REQUIRE_BROKERS_ENV} is set`);
  return why;
}
async function tcp(url: string, port: number): Promise<string | undefined> {
  const u = new URL(url);
  const verdict = await tcpReachable({ host: u.hostname, port: Number(u.port || port) });
  return verdict === true ? undefined : `${u.hostname}:${u.port || port} not reachable (${String(verdict)})`;
}

interface Case {
  readonly transport: string;
  readonly env: Record<string, string>;
  readonly skip: () => Promise<string | undefined>;
}
const cases: Case[] = [
  { transport: 'memory', env: {}, skip: () => Promise.resolve(undefined) },
  {
    transport: 'kafka',
    env: { PARTITA_KAFKA_BROKERS: (kafka.brokers ?? []).join(',') },
    skip: () => Promise.resolve(kafka.skip),
  },
  { transport: 'nats', env: { PARTITA_NATS_SERVERS: NATS }, skip: () => tcp(NATS, 4222) },
  { transport: 'rabbitmq', env: { PARTITA_RABBITMQ_URL: RABBITMQ }, skip: () => tcp(RABBITMQ, 5672) },
  { transport: 'redis', env: { PARTITA_REDIS_URL: REDIS }, skip: () => tcp(REDIS, 6379) },
  {
    transport: 'sqs',
    env: {
      PARTITA_SQS_ENDPOINT: elasticmq.endpoint ?? '',
      PARTITA_SQS_REGION: 'elasticmq',
      AWS_ACCESS_KEY_ID: 'partita-demo',
      AWS_SECRET_ACCESS_KEY: 'partita-demo-secret',
    },
    skip: () => Promise.resolve(elasticmq.skip),
  },
];

function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        DEMO_ORDERS: String(ORDERS),
        DEMO_POISON_EVERY: String(POISON_EVERY),
        DEMO_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr: stderr.slice(-4000) }));
  });
}

/** The `accounting` table's row of `handler`: in, handled, dead-lettered, missing. */
function accounting(stdout: string, handler: string): number[] {
  const row = stdout.split('\n').find((l) => l.includes(`'${handler}'`) && l.split('│').length >= 6);
  if (!row) throw new Error(`no accounting row for ${handler} in:\n${stdout}`);
  return row
    .split('│')
    .slice(3, 7)
    .map((c) => Number(c.trim()));
}

// Concurrent: each run is its own process on its own topics; the slowest (SQS) sets the wall time.
describe.concurrent('the demo on every connector (PARTITA_TRANSPORT)', () => {
  for (const c of cases) {
    it(`runs on ${c.transport}: published = handled + dead-lettered, nothing lost`, async (ctx) => {
      const why = await unavailable(c.skip());
      if (why) ctx.skip(why);
      const prefix = `demo-${c.transport}-${randomBytes(3).toString('hex')}-`;
      const env = {
        ...c.env,
        DEMO_TOPIC_PREFIX: prefix,
        ...(c.transport === 'memory' ? {} : { PARTITA_TRANSPORT: c.transport }),
        ...(c.transport === 'redis' ? { PARTITA_REDIS_KEY_PREFIX: prefix } : {}),
      };
      const { code, stdout, stderr } = await runDemo(env).finally(() =>
        c.transport === 'redis' ? deletePrefix(prefix, REDIS) : undefined,
      );
      ctx.expect(code, `exit code; stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
      const name = c.transport === 'memory' ? 'the embedded broker (memory)' : c.transport;
      ctx.expect(stdout).toContain(`partita demo: running on ${name}`);
      ctx.expect(stdout).toContain(`partita demo: completed on ${name} after`);
      // ORDERS orders in one batch of 500: no malformed payload (one per 10 batches).
      const published = ORDERS;
      const [inValidate, validated, poison, missing] = accounting(stdout, 'validate');
      ctx.expect(inValidate).toBe(published);
      ctx.expect(validated! + poison!).toBe(published);
      ctx.expect(poison).toBe(Math.floor(ORDERS / POISON_EVERY));
      ctx.expect(missing).toBe(0);
      for (const h of ['bill', 'archive']) {
        const [received, handled, deadLettered, gone] = accounting(stdout, h);
        ctx.expect(received).toBe(validated);
        ctx.expect(handled).toBe(validated);
        ctx.expect(deadLettered).toBe(0);
        ctx.expect(gone).toBe(0);
      }
      ctx.expect(stdout).toContain('nothing lost: every message handled or dead-lettered');
    }, 180_000);
  }
});
