import { ClosedError } from '@partita/core';
import type { PublishRecord } from '../broker/broker-types.js';
import { validateRecord } from '../broker/record-validation.js';

/**
 * A set of publishes (to any topics) that becomes visible together on
 * `commit` or never, on `rollback`. Nothing is visible before `commit`.
 * After `commit` or `rollback` the transaction is finished: further calls
 * throw `ClosedError`.
 */
export interface Transaction {
  /** Buffer records (validated now, limits checked at commit). */
  publish(records: PublishRecord | readonly PublishRecord[]): void;
  /** Publish everything atomically; rejects (and publishes nothing) on a limit or closed broker. */
  commit(): Promise<void>;
  /** Discard everything buffered. */
  rollback(): void;
  readonly state: 'open' | 'committed' | 'rolled-back';
  readonly size: number;
}

/** @internal */
export function createTransaction(publish: (records: readonly PublishRecord[]) => Promise<void>): Transaction {
  let buffered: PublishRecord[] = [];
  let state: Transaction['state'] = 'open';
  const assertOpen = (): void => {
    if (state !== 'open') throw new ClosedError(`the transaction is already ${state}`);
  };
  return {
    get state() {
      return state;
    },
    get size() {
      return buffered.length;
    },
    publish(records) {
      assertOpen();
      const list = Array.isArray(records) ? (records as readonly PublishRecord[]) : [records as PublishRecord];
      list.forEach((r, i) => validateRecord(r, buffered.length + i));
      buffered.push(...list);
    },
    async commit() {
      assertOpen();
      const records = buffered;
      await publish(records);
      state = 'committed';
      buffered = [];
    },
    rollback() {
      assertOpen();
      state = 'rolled-back';
      buffered = [];
    },
  };
}
