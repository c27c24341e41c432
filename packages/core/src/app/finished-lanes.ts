import type { LaneSnapshot } from './app-types.js';

/** Default of {@link FinishedLanes}: snapshots kept per handler. */
export const FINISHED_LANES_PER_HANDLER = 32;

/**
 * The final snapshots of revoked lanes, shown by `inspect()` once the app has
 * stopped. Bounded: only the last `perHandler` snapshots of each handler are
 * kept (oldest dropped first), so an app that sees many rebalances does not
 * grow without limit.
 */
export class FinishedLanes implements Iterable<LaneSnapshot> {
  private readonly byHandler = new Map<string, LaneSnapshot[]>();

  constructor(private readonly perHandler = FINISHED_LANES_PER_HANDLER) {}

  push(snapshot: LaneSnapshot): void {
    let list = this.byHandler.get(snapshot.handler);
    if (!list) this.byHandler.set(snapshot.handler, (list = []));
    list.push(snapshot);
    if (list.length > this.perHandler) list.splice(0, list.length - this.perHandler);
  }

  *[Symbol.iterator](): Iterator<LaneSnapshot> {
    for (const list of this.byHandler.values()) yield* list;
  }
}
