import { laneMachine } from '@partita/core';

/** One region of the lane machine as the dashboard draws it. */
export interface LaneRegionShape {
  readonly name: string;
  readonly initial: string;
  /** Each state with the transitions leaving it (`event → target`; targetless ones left out). */
  readonly states: readonly { readonly name: string; readonly on: readonly { event: string; to: string }[] }[];
}

interface StateNodeLike {
  readonly key: string;
  readonly config: { readonly initial?: unknown };
  readonly states: Record<string, StateNodeLike>;
  readonly transitions: Map<string, readonly { readonly target?: readonly StateNodeLike[] }[]>;
}

let shape: readonly LaneRegionShape[] | undefined;

/**
 * The regions and states of core's `laneMachine`, read from its definition
 * (so the dashboard draws the machine the runtime runs, whatever it becomes).
 */
export function laneMachineShape(): readonly LaneRegionShape[] {
  return (shape ??= Object.values((laneMachine.root as unknown as StateNodeLike).states).map((region) => ({
    name: region.key,
    initial: String(region.config.initial),
    states: Object.values(region.states).map((s) => {
      const on = new Map<string, { event: string; to: string }>();
      for (const [event, ts] of s.transitions)
        for (const t of ts)
          for (const target of t.target ?? [])
            if (target.key !== s.key) on.set(`${event}>${target.key}`, { event, to: target.key });
      return { name: s.key, on: [...on.values()] };
    }),
  })));
}
