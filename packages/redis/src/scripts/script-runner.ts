import type { Redis } from 'ioredis';
import {
  DEAD_LETTER_SCRIPT,
  DELAY_SCRIPT,
  HEARTBEAT_SCRIPT,
  LEAVE_SCRIPT,
  MOVE_DUE_SCRIPT,
  RELEASE_SCRIPT,
  TRIM_SCRIPT,
} from './lua-scripts.js';

type Arg = string | Buffer;
type Run = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

const SCRIPTS = {
  partitaDelay: DELAY_SCRIPT,
  partitaMoveDue: MOVE_DUE_SCRIPT,
  partitaDeadLetter: DEAD_LETTER_SCRIPT,
  partitaTrim: TRIM_SCRIPT,
  partitaHeartbeat: HEARTBEAT_SCRIPT,
  partitaRelease: RELEASE_SCRIPT,
  partitaLeave: LEAVE_SCRIPT,
} as const;

/**
 * The connector's Lua scripts on one connection (`EVALSHA`, loaded on first
 * use by ioredis). See `lua-scripts.ts` for what each does and its KEYS/ARGV.
 */
export class ScriptRunner {
  constructor(private readonly redis: Redis) {
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { lua });
  }

  private run(name: string, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, Run>)[name]!;
    return fn.call(this.redis, keys.length, ...keys, ...args);
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
  heartbeat(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaHeartbeat', keys, args);
  }
  release(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaRelease', keys, args);
  }
  leave(keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return this.run('partitaLeave', keys, args);
  }
}
