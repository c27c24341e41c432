import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryBroker } from '@partita/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const fixture = join(here, 'fixtures', 'crash-publisher.mjs');
const dirs: string[] = [];
/** Largest batch the publisher sends (fixtures/crash-publisher.mjs). */
const MAX_BATCH = 50;

beforeAll(() => {
  // the child runs plain node on the built package
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/memory'], {
    cwd: root,
    stdio: 'inherit',
  });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Run the publisher until it acknowledged at least `minAcks` publishes, then
 * SIGKILL it; resolves the last acknowledged sequence number and how many
 * acknowledgements were read. Read on `close` (stdout drained), not `exit`:
 * acknowledgements written just before the kill may still be in the pipe
 * when the process has exited.
 */
function runAndKill(
  dataDir: string,
  fsync: string,
  minAcks: number,
  extraMs: number,
): Promise<{ lastAck: number; start: number; acks: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dataDir, fsync], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastAck = -1;
    let start = -1;
    let acks = 0;
    let buf = '';
    let killing = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('start ')) start = Number(line.slice(6));
        if (line.startsWith('ack ')) {
          lastAck = Number(line.slice(4));
          acks++;
        }
      }
      if (!killing && acks >= minAcks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    // a partial line left in `buf` is an acknowledgement cut by the kill: not counted
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lastAck, start, acks });
      else reject(new Error(`publisher exited with ${code}: ${stderr}`));
    });
  });
}

describe('durable memory broker: crash safety (kill -9)', () => {
  for (const fsync of ['always', 'interval'] as const) {
    it(`fsync ${fsync}: every acknowledged publish survives repeated kill -9, in order, and the log opens cleanly`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `partita-crash-${fsync}-`));
      dirs.push(dataDir);
      let expectedMin = -1;
      for (let round = 0; round < 6; round++) {
        const minAcks = 1 + Math.floor(Math.random() * 40);
        const { lastAck, start, acks } = await runAndKill(dataDir, fsync, minAcks, Math.floor(Math.random() * 15));
        expect(start).toBe(expectedMin + 1);
        expect(acks).toBeGreaterThanOrEqual(minAcks);
        expect(lastAck).toBeGreaterThanOrEqual(start);
        const warnings: string[] = [];
        const broker = createMemoryBroker({ dataDir, onWarning: (m) => warnings.push(m) });
        const values: number[] = [];
        for (;;) {
          const recs = broker.fetch({ group: `verify-${round}`, topic: 'seq', partition: 0, max: 1000 });
          if (recs.length === 0) break;
          for (const r of recs) {
            expect(r.offset).toBe(String(values.length));
            values.push(Number(new TextDecoder().decode(r.value)));
          }
        }
        // in order, no gaps, no duplicates, and every acknowledged one present
        expect(values).toEqual(values.map((_, i) => i));
        expect(values.length).toBeGreaterThan(lastAck);
        // the last acknowledged publish (read after stdout drained) is there, and
        // beyond it at most the one batch (<= 50) written but not yet acknowledged
        // at the kill: more would mean acknowledgements were missed
        expect(values[lastAck]).toBe(lastAck);
        expect(values.length - 1 - lastAck).toBeLessThanOrEqual(MAX_BATCH);
        // the crash is reported, with the possible loss window of the policy
        expect(warnings.some((w) => /not closed cleanly/.test(w))).toBe(true);
        const recovery = (
          broker.health().details as { durable: { recovery: { cleanShutdown: boolean; possibleLossWindowMs: number } } }
        ).durable.recovery;
        expect(recovery.cleanShutdown).toBe(false);
        expect(recovery.possibleLossWindowMs).toBe(fsync === 'always' ? 0 : 50);
        expect(broker.health().status).toBe('ok');
        await broker.close();
        expectedMin = values.length - 1;
      }
    });
  }
});
