import {
  DEAD_LETTER_SCRIPT,
  DELAY_SCRIPT,
  LEASE_SCRIPT,
  LEAVE_SCRIPT,
  MEMBERSHIP_SCRIPT,
  MOVE_DUE_SCRIPT,
  RELEASE_SCRIPT,
  TRIM_SCRIPT,
} from './lua-scripts.js';
import type { RedisClient } from '../transport/redis-connection.js';

type Arg = string | Buffer;
type Run = (...keysAndArgs: Arg[]) => Promise<unknown>;

/** Each script and its number of KEYS. */
const SCRIPTS = {
  partitaDelay: [DELAY_SCRIPT, 3],
  partitaMoveDue: [MOVE_DUE_SCRIPT, 3],
  partitaDeadLetter: [DEAD_LETTER_SCRIPT, 1],
  partitaTrim: [TRIM_SCRIPT, 1],
  partitaMembership: [MEMBERSHIP_SCRIPT, 1],
  partitaLease: [LEASE_SCRIPT, 1],
  partitaRelease: [RELEASE_SCRIPT, 2],
  partitaLeave: [LEAVE_SCRIPT, 1],
} as const;

/**
 * The connector's Lua scripts on one connection (`EVALSHA`, loaded on first
 * use by ioredis). See `lua-scripts.ts` for what each does and its KEYS/ARGV.
 * Each is defined with its number of keys, so a call starts with its first
 * key: ioredis's auto-pipelining groups a command by its first argument, and
 * in a cluster a script that started with its key count went into the
 * pipeline of the wrong node.
 */
export class ScriptRunner {
  constructor(private readonly redis: RedisClient) {
    for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS)) redis.defineCommand(name, { lua, numberOfKeys });
  }

  private run(name: keyof typeof SCRIPTS, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    if (keys.length !== SCRIPTS[name][1]) throw new TypeError(`${name}: ${SCRIPTS[name][1]} keys expected`);
    const fn = (this.redis as unknown as Record<string, Run>)[name]!;
    return fn.call(this.redis, ...keys, ...args);
  }

  delay(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaDelay', keys, args);
  }
  moveDue(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaMoveDue', keys, args);
  }
  deadLetter(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaDeadLetter', keys, args);
  }
  trim(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaTrim', keys, args);
  }
  membership(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaMembership', keys, args);
  }
  lease(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaLease', keys, args);
  }
  release(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaRelease', keys, args);
  }
  leave(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaLeave', keys, args);
  }
}
