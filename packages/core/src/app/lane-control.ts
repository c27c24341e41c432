import { ConfigError, LaneNotFoundError } from '../errors/partita-error.js';
import { optionError } from '../options/option-error.js';
import type { PartitionActor } from '../partition/partition-actor.js';
import type { LaneRef, LaneSelector, LaneSnapshot } from './app-types.js';

const FIELDS = ['handler', 'group', 'topic', 'partition'] as const;

const keyOf = (ref: LaneRef): string => `${ref.handler}\u0000${ref.topic}\u0000${ref.partition}`;

/** Whether `ref` matches every field `selector` gives. */
export function matchesLane(ref: LaneRef, selector: LaneSelector): boolean {
  return (
    (selector.handler === undefined || ref.handler === selector.handler) &&
    (selector.group === undefined || ref.group === selector.group) &&
    (selector.topic === undefined || ref.topic === selector.topic) &&
    (selector.partition === undefined || ref.partition === selector.partition)
  );
}

/** A lane selector as given by a caller (a user, an HTTP body): `ConfigError` naming the field otherwise. */
export function checkLaneSelector(owner: string, selector: unknown): LaneSelector {
  if (typeof selector !== 'object' || selector === null || Array.isArray(selector))
    throw optionError(owner, 'selector', 'an object like { handler, group, topic, partition }', selector);
  const s = selector as Record<string, unknown>;
  for (const field of Object.keys(s))
    if (!(FIELDS as readonly string[]).includes(field))
      throw new ConfigError(`${owner}: selector field "${field}" is unknown; use ${FIELDS.join(', ')}`);
  for (const field of ['handler', 'group', 'topic'] as const)
    if (s[field] !== undefined && (typeof s[field] !== 'string' || s[field] === ''))
      throw optionError(owner, `selector.${field}`, 'a non-empty string', s[field]);
  const p = s.partition;
  if (p !== undefined && (typeof p !== 'number' || !Number.isInteger(p) || p < 0))
    throw optionError(owner, 'selector.partition', 'an integer ≥ 0', p);
  if (FIELDS.every((f) => s[f] === undefined))
    throw new ConfigError(`${owner}: the selector names no lane; give at least one of ${FIELDS.join(', ')}`);
  return s;
}

/**
 * The operator's pause and resume of lanes (`app.pauseLane`/`app.resumeLane`).
 * It remembers which lanes the operator holds, so a lane revoked and assigned
 * again to this app comes back paused.
 */
export class LaneControl {
  private readonly held = new Map<string, LaneRef>();

  constructor(private readonly lanes: () => Iterable<PartitionActor>) {}

  pause(selector: LaneSelector): LaneSnapshot[] {
    const matched = this.select('pauseLane', selector);
    for (const actor of matched) {
      this.held.set(keyOf(actor.ref), actor.ref);
      actor.hold();
    }
    return matched.map((a) => a.snapshot());
  }

  resume(selector: LaneSelector): LaneSnapshot[] {
    const matched = this.select('resumeLane', selector);
    for (const [key, ref] of this.held) if (matchesLane(ref, selector)) this.held.delete(key);
    for (const actor of matched) actor.release();
    return matched.map((a) => a.snapshot());
  }

  /** A lane was assigned: held again when the operator paused it before. */
  assigned(actor: PartitionActor): void {
    if (this.held.has(keyOf(actor.ref))) actor.hold();
  }

  private select(owner: string, selector: LaneSelector): PartitionActor[] {
    const checked = checkLaneSelector(owner, selector);
    const all = [...this.lanes()];
    const matched = all.filter((a) => matchesLane(a.ref, checked));
    if (matched.length === 0) {
      const known = all.map((a) => `${a.ref.handler} ${a.ref.topic}[${a.ref.partition}]`);
      const shown = known.length === 0 ? 'none (is the app running?)' : known.slice(0, 20).join(', ');
      throw new LaneNotFoundError(
        `${owner}: no lane matches ${JSON.stringify(checked)}; the app's lanes: ${shown}${known.length > 20 ? ', …' : ''}`,
      );
    }
    return matched;
  }
}
