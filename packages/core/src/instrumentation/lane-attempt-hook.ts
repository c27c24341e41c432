import type { LaneRef } from '../app/app-types.js';
import { messageId, type Headers } from '../message/message.js';
import type { Logger } from '../logger/logger.js';
import type { InboundRecord } from '../transport/transport.js';
import type { AttemptInfo, AttemptLane, AttemptScope } from './instrumentation.js';

/** An attempt's `AttemptInfo`: the lane's constant part plus the record, the message id made on first read. */
class LaneAttemptInfo implements AttemptInfo {
  constructor(
    readonly lane: AttemptLane,
    private readonly rec: InboundRecord,
    readonly attempt: number,
    readonly worker: boolean,
  ) {}
  get system(): string {
    return this.lane.system;
  }
  get handler(): string {
    return this.lane.handler;
  }
  get group(): string {
    return this.lane.group;
  }
  get topic(): string {
    return this.lane.topic;
  }
  get partition(): number {
    return this.lane.partition;
  }
  get offset(): string {
    return this.rec.offset;
  }
  get id(): string {
    return messageId(this.lane.topic, this.lane.partition, this.rec.offset);
  }
  get key(): string | undefined {
    return this.rec.key;
  }
  get headers(): Readonly<Headers> {
    return this.rec.headers;
  }
}

/**
 * The app's attempt hook as one lane calls it (docs/architecture.md decision
 * 49): `begin` before the handler runs, `end` when the lane takes the
 * outcome, both synchronous. The lane's constant coordinates are one object
 * (`info.lane`) for all its attempts.
 */
export class LaneAttemptHook {
  private readonly lane: AttemptLane;

  constructor(
    private readonly hook: (info: AttemptInfo) => AttemptScope | undefined,
    ref: LaneRef,
    system: string,
    private readonly logger: Logger,
  ) {
    this.lane = Object.freeze({
      system,
      handler: ref.handler,
      group: ref.group,
      topic: ref.topic,
      partition: ref.partition,
    });
  }

  begin(rec: InboundRecord, attempt: number, worker: boolean): AttemptScope | undefined {
    return this.hook(new LaneAttemptInfo(this.lane, rec, attempt, worker));
  }

  /** End the scope `holder` keeps for its running attempt (an inline attempt's entry), if any, and forget it. */
  endHeld(holder: { scope: AttemptScope | undefined }, error: unknown): void {
    const scope = holder.scope;
    if (scope === undefined) return;
    holder.scope = undefined;
    this.end(scope, error);
  }

  /** End `scope`; a hook that throws here is logged (the outcome is already taken). */
  end(scope: AttemptScope, error: unknown): void {
    try {
      scope.end(error);
    } catch (err) {
      this.logger.error({ err }, 'instrumentation: an attempt scope threw at its end');
    }
  }
}
