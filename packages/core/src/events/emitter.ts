/** Receives a listener's exception: the event it was called for and the error. */
export type ListenerErrorSink = (event: string, err: unknown) => void;

/** A tiny typed event emitter; `has` lets hot paths skip building payloads nobody listens to. */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** `onListenerError` hears every exception a listener throws (createApp logs it); without it they are dropped. */
  constructor(private readonly onListenerError?: ListenerErrorSink) {}

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  has(event: keyof Events): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  /**
   * Call every listener, in the order they were added. A throwing listener
   * never breaks the caller nor the listeners after it: its error goes to
   * `onError` when given, else to the emitter's `onListenerError`.
   */
  emit<E extends keyof Events>(event: E, payload: Events[E], onError?: (err: unknown) => void): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as (p: Events[E]) => void)(payload);
      } catch (err) {
        try {
          if (onError) onError(err);
          else this.onListenerError?.(String(event), err);
        } catch {
          // A failing error sink must not break the emitter either.
        }
      }
    }
  }
}
