import type { InboundRecord, LaneId, OffsetLaneHandle, SubscriptionSink } from '@partita/core';

/** Poll `cond` until true or the deadline passes (no fixed sleeps). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface RecordedLane {
  handle: OffsetLaneHandle;
  records: InboundRecord[];
  batches: number[];
  revoked: boolean;
}

/** A SubscriptionSink that records lanes and records; `onRevoke` runs inside `revoked` (e.g. a final commit). */
export function recordingSink(
  opts: {
    onRevoke?: (lane: RecordedLane) => Promise<void> | void;
    onDeliver?: (lane: RecordedLane, recs: readonly InboundRecord[]) => void;
  } = {},
) {
  const lanes: RecordedLane[] = [];
  const events: string[] = [];
  const current = (p: number): RecordedLane | undefined => lanes.find((l) => l.handle.id.partition === p && !l.revoked);
  const sink: SubscriptionSink = {
    assigned(handle) {
      if (handle.ackModel !== 'offset') throw new Error(`memory lanes are offset lanes, got ${handle.ackModel}`);
      const lane: RecordedLane = { handle, records: [], batches: [], revoked: false };
      lanes.push(lane);
      events.push(`assigned:${handle.id.partition}`);
      return {
        deliver(recs) {
          lane.records.push(...recs);
          lane.batches.push(recs.length);
          opts.onDeliver?.(lane, recs);
        },
      };
    },
    async revoked(id: LaneId) {
      const lane = current(id.partition)!;
      events.push(`revoking:${id.partition}`);
      await opts.onRevoke?.(lane);
      lane.revoked = true;
      events.push(`revoked:${id.partition}`);
    },
  };
  const all = (): InboundRecord[] => lanes.flatMap((l) => l.records);
  return { sink, lanes, events, current, all };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null): string => (b === null ? '<tombstone>' : new TextDecoder().decode(b));
