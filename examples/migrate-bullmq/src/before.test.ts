// Runs the "before" side on the machine's Redis (integration project); keys under a unique prefix, deleted after.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { brokersRequired, tcpReachable } from '@partita/testing';
import { deletePrefix, REDIS_TARGET, REDIS_URL } from '../../../test/integration/redis/redis-helpers.js';

const before = fileURLToPath(new URL('../dist/before.js', import.meta.url));
const reachable = await tcpReachable(REDIS_TARGET);
if (reachable !== true && brokersRequired()) throw new Error(`PARTITA_REQUIRE_BROKERS is set but Redis: ${reachable}`);

it.skipIf(reachable !== true)(
  'before: the BullMQ worker charges the good orders and parks the poison ones in the failed set',
  async () => {
    const prefix = `partita-test:example-bullmq-before:${randomBytes(4).toString('hex')}:`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [before], {
        timeout: 150_000,
        env: { ...process.env, REDIS_URL, EXAMPLE_PREFIX: prefix, EXAMPLE_ORDERS: '200' },
      });
      expect(stdout).toContain('before (bullmq): 196 charged, 4 in the failed set');
    } finally {
      await deletePrefix(prefix);
    }
  },
  180_000,
);
