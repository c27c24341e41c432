import type { TimerHandle } from '../clock/clock.js';
import type { InboundRecord } from '../transport/transport.js';

/** Per-message bookkeeping inside a partition actor (plain object, no actor per message). */
export interface Entry {
  readonly rec: InboundRecord;
  /** Numeric offset for the offset model; arrival sequence for the message model. */
  readonly off: number;
  /** Scheduling key: messages sharing it run one at a time; undefined = independent. */
  readonly key: string | undefined;
  /** Message lifecycle state code (see message-lifecycle.ts). */
  state: number;
  attempt: number;
  /** Incremented on every dispatch; a completion carrying an older generation is ignored. */
  gen: number;
  value: unknown;
  decoded: boolean;
  startedAt: number;
  deadline: number;
  ac: AbortController | undefined;
  timer: TimerHandle | undefined;
}
