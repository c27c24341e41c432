/** A tiny typed event emitter; `has` lets hot paths skip building payloads nobody listens to. */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set!.delete(listener as (payload: never) => void);
  }

  has(event: keyof Events): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  /** Call every listener; a throwing listener is reported through `onError`, never breaks the caller. */
  emit<E extends keyof Events>(event: E, payload: Events[E], onError?: (err: unknown) => void): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as (p: Events[E]) => void)(payload);
      } catch (err) {
        onError?.(err);
      }
    }
  }
}
