import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** Retention of a hand-back count: a record pending longer than this counts its old hand-backs as attempts. */
export const HANDBACK_MAX_AGE_MS = 14 * 24 * 3600 * 1000;
/** Bound of the ledger stream (oldest counts are dropped first; see {@link HANDBACK_MAX_AGE_MS}). */
const HANDBACK_MAX_MSGS = 1_000_000;

/** The name of the ledger stream for a stream prefix. */
export function handbackStreamName(prefix: string): string {
  return `${prefix}PARTITA_HANDBACKS`;
}

/**
 * How many times each pending record was handed back to its consumer without
 * a handler run (NAK at stop or revoke, or early delivery of a delayed
 * publish), so that the attempt reported to the runtime counts handler runs
 * only: `attempt = deliveryCount − handBacks`.
 *
 * Stored in a JetStream stream (`<streamPrefix>PARTITA_HANDBACKS`), one subject
 * per record and consumer, last value only, so a count survives the process
 * and is shared by every member of the group (a record is held by one member
 * at a time, so counts never race). A count is written before its NAK: when
 * the NAK is lost (connection gone) the redelivery after `ack_wait` still finds
 * it. Every operation is best effort: when the ledger is unreachable a hand-back
 * counts as an attempt (the pre-ledger behaviour; never an extra run).
 */
export class HandbackLedger {
  private ready: Promise<boolean> | undefined;
  private readonly stream: string;
  private readonly root: string;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    prefix: string,
    private readonly storage: 'file' | 'memory',
  ) {
    this.stream = handbackStreamName(prefix);
    this.root = `${prefix}partita.handbacks`;
  }

  /** Hand-backs recorded for stream sequence `seq` on consumer `durable` of `stream` (0 when none or unreachable). */
  async count(stream: string, durable: string, seq: number): Promise<number> {
    if (!(await this.ensure())) return 0;
    try {
      const m = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.subject(stream, durable, seq) });
      const n = Number(new TextDecoder().decode(m?.data ?? new Uint8Array()));
      return Number.isInteger(n) && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /** Record one more hand-back (`previous + 1`). Resolves `false` when it could not be recorded. */
  async add(stream: string, durable: string, seq: number, previous: number): Promise<boolean> {
    if (!(await this.ensure())) return false;
    try {
      await this.js.publish(this.subject(stream, durable, seq), new TextEncoder().encode(String(previous + 1)));
      return true;
    } catch {
      return false;
    }
  }

  /** Forget a settled record's count (best effort; the ledger's age limit is the backstop). */
  clear(stream: string, durable: string, seq: number): void {
    void this.jsm.streams.purge(this.stream, { filter: this.subject(stream, durable, seq) }).catch(() => undefined);
  }

  private subject(stream: string, durable: string, seq: number): string {
    return `${this.root}.${stream}.${durable}.${seq}`;
  }

  /** Find or create the ledger stream once; a failure is retried on the next use. */
  private ensure(): Promise<boolean> {
    this.ready ??= (async () => {
      try {
        await this.jsm.streams.info(this.stream);
        return true;
      } catch {
        // Not there (or not visible): create it; a concurrent creator wins harmlessly.
      }
      try {
        await this.jsm.streams.add({
          name: this.stream,
          subjects: [`${this.root}.>`],
          retention: RetentionPolicy.Limits,
          storage: this.storage === 'memory' ? StorageType.Memory : StorageType.File,
          max_msgs_per_subject: 1,
          max_msgs: HANDBACK_MAX_MSGS,
          max_age: nanos(HANDBACK_MAX_AGE_MS),
          discard: DiscardPolicy.Old,
        });
        return true;
      } catch {
        return this.jsm.streams.info(this.stream).then(
          () => true,
          () => false,
        );
      }
    })();
    void this.ready.then((ok) => {
      if (!ok) this.ready = undefined;
    });
    return this.ready;
  }
}
