/**
 * Suggests messages per task for each handler from its measured time per
 * message: `targetTaskMs / msPerMessage`, clamped to [min, max]. Starts at
 * `min` (safe for slow handlers) and follows an exponentially weighted
 * average, so one slow batch does not collapse the size.
 */
export class BatchSizer {
  readonly #perMessageMs = new Map<string, number>();

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly targetTaskMs: number,
    private readonly weight = 0.3,
  ) {}

  /** Record that `count` messages of `handler` took `elapsedMs` of handler time. */
  observe(handler: string, elapsedMs: number, count: number): void {
    if (count <= 0 || !(elapsedMs >= 0)) return;
    const sample = elapsedMs / count;
    const prev = this.#perMessageMs.get(handler);
    this.#perMessageMs.set(handler, prev === undefined ? sample : prev + this.weight * (sample - prev));
  }

  size(handler: string): number {
    const per = this.#perMessageMs.get(handler);
    if (per === undefined) return this.min;
    if (per <= 0) return this.max;
    return Math.max(this.min, Math.min(this.max, Math.round(this.targetTaskMs / per)));
  }

  snapshot(): Record<string, { batchSize: number; msPerMessage: number }> {
    const out: Record<string, { batchSize: number; msPerMessage: number }> = {};
    for (const [h, per] of this.#perMessageMs)
      out[h] = { batchSize: this.size(h), msPerMessage: Math.round(per * 1e4) / 1e4 };
    return out;
  }
}
