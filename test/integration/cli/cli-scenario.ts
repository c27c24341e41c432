// The `partita` CLI as a real child process (packages/cli/dist/main.js) on a
// broker an app in this test uses: produce → tail → a poison message → dlq ls
// → redrive --dry-run (nothing published) → redrive (handled once by the
// failing group only, nothing lost) → show → purge; and tail --follow.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  createApp,
  defineHandler,
  NonRetryableError,
  type AdminTransport,
  type App,
  type Transport,
  createConsoleLogger,
} from '@partita/core';
import { waitFor } from '@partita/testing';

const MAIN = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
const quiet = createConsoleLogger({ level: 'silent' });

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a CLI run: no PARTITA_* of this process, no colour, plus `extra`. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARTITA_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Run `node packages/cli/dist/main.js ...argv`; resolves with its exit code and output (never rejects on exit codes). */
export function cli(
  argv: readonly string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...argv],
      { env: cliEnv(opts.env ?? {}), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code =
          err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        if (code === -1) reject(err instanceof Error ? err : new Error('the CLI did not exit'));
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** What the scenario needs from a broker. */
export interface CliTarget {
  /** The app's transport (it must offer `admin`). */
  readonly transport: Transport & AdminTransport;
  /** The CLI's connection flags (`--brokers …`, `--url …`). */
  readonly flags: readonly string[];
  /** Extra environment of the CLI (a token). */
  readonly env?: Record<string, string>;
  /** Wrap the app once it exists (serve its admin endpoint); returns a stop function. */
  readonly attach?: (app: App) => Promise<() => Promise<void>>;
}

type Value = { id: string; poison?: boolean };

/**
 * The end-to-end scenario on one topic with two groups: `audit` handles every
 * record, `billing` fails poison records non-retryably while `failing` is set.
 * The app starts after the CLI produced and tailed the records (its groups
 * start from the earliest record).
 */
export async function deadLetterScenario(
  target: CliTarget,
  topic: string,
  groups: { audit: string; billing: string },
): Promise<void> {
  const handled = { audit: [] as string[], billing: [] as string[] };
  const state = { failing: true };
  const app = createApp({
    transport: target.transport,
    logger: quiet,
    handlers: [
      defineHandler<Value>({
        name: `${groups.audit}-h`,
        group: groups.audit,
        topic,
        handle: (m) => void handled.audit.push(m.value.id),
      }),
      defineHandler<Value>({
        name: `${groups.billing}-h`,
        group: groups.billing,
        topic,
        handle: (m) => {
          if (state.failing && m.value.poison) throw new NonRetryableError(`cannot bill ${m.value.id}`);
          handled.billing.push(m.value.id);
        },
      }),
    ],
  });
  const detach = target.attach ? await target.attach(app) : async () => {};
  const run = (argv: readonly string[], stdin?: string) =>
    cli([...argv, ...target.flags], {
      ...(target.env ? { env: target.env } : {}),
      ...(stdin !== undefined ? { stdin } : {}),
    });
  const dlq = `${topic}.dlq`;
  try {
    // produce: one value, then lines on stdin (a poison one among them)
    expect(await run(['produce', topic, '{"id":"a"}', '--key', 'k1', '--header', 'source=cli'])).toMatchObject({
      code: 0,
      stdout: `published 1 record to ${topic}\n`,
    });
    const lines = ['{"id":"b"}', '{"id":"p","poison":true}', '{"id":"c"}'].join('\n') + '\n';
    expect((await run(['produce', topic, '--key', 'k2'], lines)).code).toBe(0);

    // tail: every record, as NDJSON
    const tail = await run(['tail', topic, '--json']);
    expect(tail.code).toBe(0);
    const tailed = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; key: string; headers: Record<string, string> });
    expect(tailed.map((r) => (JSON.parse(r.text) as Value).id).sort()).toEqual(['a', 'b', 'c', 'p']);
    expect(tailed.find((r) => r.key === 'k1')?.headers.source).toBe('cli');

    // The groups start from the earliest record (the embedded broker frees what every group settled, so tail came first).
    await app.start();

    await waitFor(() => handled.audit.length === 4 && handled.billing.length === 3, {
      description: 'both groups handled the records (billing dead-lettered the poison one)',
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await target.transport.admin.read(dlq)).length === 1, {
      description: 'the dead letter',
      timeoutMs: 60_000,
    });

    // dlq ls with filters
    const ls = await run(['dlq', 'ls', dlq, '--reason', 'non-retryable', '--json']);
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as {
      matched: number;
      records: { id: string; headers: Record<string, string> }[];
    };
    expect(listed.matched).toBe(1);
    expect(listed.records[0]!.headers).toMatchObject({
      'partita-group': groups.billing,
      'partita-error-name': 'NonRetryableError',
      'partita-dead-letter-reason': 'non-retryable',
    });
    const id = listed.records[0]!.id;
    expect(
      (JSON.parse((await run(['dlq', 'ls', dlq, '--reason', 'timeout', '--json'])).stdout) as { matched: number })
        .matched,
    ).toBe(0);
    const table = await run(['dlq', 'ls', dlq]);
    expect(table.stdout).toMatch(new RegExp(`^${id} .* ${groups.billing} +non-retryable +NonRetryableError +k2 `, 'm'));

    // dlq show
    const show = await run(['dlq', 'show', dlq, id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('cannot bill p');
    expect(show.stdout).toContain('"poison": true');

    state.failing = false;
    // Records ever published to the topic: the partitions' ends (the topic's, else a group's).
    const published = async (): Promise<number> => {
      const info = (await target.transport.admin.topics()).find((t) => t.name === topic);
      const ends =
        info?.ends ??
        (await target.transport.admin.lag(groups.audit)).filter((l) => l.topic === topic).map((l) => l.end);
      const n = ends.reduce((sum: number, e) => sum + Number(e), 0);
      expect(Number.isFinite(n)).toBe(true);
      return n;
    };
    const before = await published();

    // redrive --dry-run: the plan, nothing published
    const dry = await run(['dlq', 'redrive', dlq, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      matched: 1,
      redriven: 0,
      byGroup: { [groups.billing]: 1 },
      plan: [{ id, topic, group: groups.billing, key: 'k2', reason: 'non-retryable' }],
    });
    expect(await published()).toBe(before);
    const dryText = await run(['dlq', 'redrive', dlq, '--dry-run']);
    expect(dryText.stdout).toMatch(/dry run: 1 dead letter would be redriven .*; nothing was published/);

    // redrive: the failing group handles it once, the other group never again
    const redrive = await run(['dlq', 'redrive', dlq, '--reason', 'non-retryable', '--rate', '100']);
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toMatch(new RegExp(`redriven 1 of 1 dead letter \\(${groups.billing}: 1\\)`));
    expect(await published()).toBe(before + 1);
    await waitFor(() => handled.billing.includes('p'), {
      description: 'billing handled the redriven record',
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await target.transport.admin.lag(groups.audit)).every((l) => l.lag === 0), {
      description: 'audit settled the redriven copy',
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await target.transport.admin.lag(groups.billing)).every((l) => l.lag === 0), {
      description: 'billing settled everything',
      timeoutMs: 60_000,
    });
    expect([...handled.audit].sort()).toEqual(['a', 'b', 'c', 'p']);
    expect([...handled.billing].sort()).toEqual(['a', 'b', 'c', 'p']);

    // lag, topics
    const lag = JSON.parse((await run(['lag', '--group', groups.audit, '--json'])).stdout) as {
      lag: { lag: number }[];
    };
    expect(lag.lag.length).toBeGreaterThan(0);
    expect(lag.lag.every((l) => l.lag === 0)).toBe(true);
    const topicsRun = await run(['topics', '--json']);
    expect(topicsRun.stderr, 'nothing but the result on a successful run').toBe('');
    const topics = JSON.parse(topicsRun.stdout) as { topics: { name: string }[] };
    expect(topics.topics.map((t) => t.name)).toEqual(expect.arrayContaining([topic, dlq]));

    // purge: refused without --yes off a terminal, then done
    const refused = await run(['dlq', 'purge', dlq]);
    expect(refused.code).toBe(2);
    expect((await target.transport.admin.read(dlq)).length).toBe(1);
    expect(JSON.parse((await run(['dlq', 'purge', dlq, '--yes', '--json'])).stdout)).toEqual({
      topic: dlq,
      removed: 1,
    });
    expect(await target.transport.admin.read(dlq)).toEqual([]);
  } finally {
    await detach();
    await app.stop({ drainTimeoutMs: 2_000 }).catch(() => {});
  }
}

/** `tail --follow --from latest` prints a record published after it started, and stops with exit 0 on Ctrl-C. */
export async function followScenario(
  target: Omit<CliTarget, 'attach'>,
  topic: string,
  publish: () => Promise<void>,
): Promise<void> {
  const child = spawn(
    process.execPath,
    [MAIN, 'tail', topic, '--from', 'latest', '--follow', '--interval', '200', '--json', ...target.flags],
    {
      env: cliEnv(target.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => stderr.includes(`following ${topic}`), {
      description: `the follower started (stderr: ${stderr})`,
      timeoutMs: 60_000,
    });
    await publish();
    await waitFor(() => stdout.includes('followed'), {
      description: 'the follower printed the new record',
      timeoutMs: 60_000,
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string });
    expect(lines.map((l) => l.text)).toEqual(['"followed"']);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
