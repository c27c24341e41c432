import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/sigterm-app.fixture.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'partita-sigterm-'));
const processedFile = join(dir, 'processed.txt');
const processed = (): string[] =>
  existsSync(processedFile) ? readFileSync(processedFile, 'utf8').split('\n').filter(Boolean) : [];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start the fixture (it runs on the built packages, like a deployed app) and wait for its URL. */
function launch(
  publish: number,
  mode = '',
): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  log: () => string;
  out: () => string;
} {
  const child = spawn(process.execPath, [fixture, join(dir, 'data'), processedFile, String(publish), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /url (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before serving: ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, exit, log: () => err, out: () => out };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stopOnSignals in a child process', () => {
  it('SIGTERM mid-flow: /readyz turns 503, in-flight work finishes, commits are made, exit 0, nothing reprocessed on restart', async () => {
    const total = 400;
    const first = launch(total);
    const url = await first.url;
    await until('ready', async () => (await fetch(`${url}/readyz`)).status === 200 || undefined);
    await until('some records handled', () => (processed().length >= 20 ? true : undefined));

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    // Readiness during the drain (taken by the child itself, so it cannot be missed): false, draining.
    // (The HTTP route answering 503 with it is in serve.test.ts.)
    const probe = /readyz (\w+) (\{.*\}) inFlight=(\d+)/.exec(first.out());
    expect(probe?.[1]).toBe('false');
    expect((JSON.parse(probe![2]!) as { reasons: string[] }).reasons).toEqual(['draining: the app is stopping']);
    expect(Number(probe![3])).toBeGreaterThan(0); // mid-flow: handlers were running when the signal came
    expect(first.log()).toMatch(/received SIGTERM: draining/);
    const handledBefore = processed();
    expect(handledBefore.length).toBeLessThan(total);

    // Restart on the same data: the rest is handled, nothing handled before is handled again.
    const second = launch(0);
    await second.url;
    await until('every record handled', () => (new Set(processed()).size >= total ? true : undefined), 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    const all = processed();
    expect(new Set(all).size).toBe(total);
    expect(all.length).toBe(total); // no duplicate: every in-flight record finished and was committed before exit
  });

  it('a second signal during the drain exits at once with 130 and says so', async () => {
    rmSync(processedFile, { force: true });
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    const run = launch(40, 'hang');
    const url = await run.url;
    await until('handlers running', async () => {
      const snapshot = (await (await fetch(`${url}/api/inspect`)).json()) as { metrics: { inFlight: number } };
      return snapshot.metrics.inFlight > 0 || undefined;
    });
    run.child.kill('SIGTERM');
    await until('draining', async () => ((await fetch(`${url}/readyz`)).status === 503 ? true : undefined));
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.log()).toMatch(/received SIGINT while stopping after SIGTERM: forcing exit now/);
  });
});
