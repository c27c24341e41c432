import { createActor, type Actor } from 'xstate';
import { laneMachine, type LaneEvent } from './lane-machine.js';

/**
 * The running lane machine of one partition actor. Caches the top-level state
 * and the `running.fetch` region, because the actor reads them on hot paths
 * and `getSnapshot()` is not free.
 */
export class LaneMode {
  private readonly actor: Actor<typeof laneMachine>;
  /** `starting`, `running`, `paused`, `blocked`, `draining`, `stopped`. */
  top = 'starting';
  /** The `running.fetch` region (`waiting`, `fetching`, `backingOff`), or undefined outside `running`. */
  fetch: string | undefined;
  /** The machine's whole state value (every region), as `inspect()` shows it. */
  value: unknown = 'starting';

  /** `onChange(fromTop, toTop, fromValue, toValue)` is called on every change of the state value. */
  constructor(private readonly onChange: (from: string, to: string, fromValue: unknown, toValue: unknown) => void) {
    this.actor = createActor(laneMachine);
    this.actor.subscribe((snap) => this.observe(snap.value));
    this.actor.start();
  }

  private observe(value: unknown): void {
    const top = typeof value === 'string' ? value : Object.keys(value as object)[0]!;
    const from = this.top;
    const fromValue = this.value;
    this.top = top;
    this.fetch = top === 'running' ? (value as { running: { fetch: string } }).running.fetch : undefined;
    this.value = value;
    this.onChange(from, top, fromValue, value);
  }

  /** Send an event; ignored once the machine stopped. */
  send(type: LaneEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type });
  }

  /** `running.fetching`, `paused`, ... as `inspect()` shows it. */
  name(): string {
    return this.fetch ? `running.${this.fetch}` : this.top;
  }

  stop(): void {
    this.actor.stop();
  }
}
