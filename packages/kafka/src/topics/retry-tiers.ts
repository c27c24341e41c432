/** Header carrying the epoch ms before which a retry-tier record must not be delivered. */
export const DELIVER_AT_HEADER = 'partita-deliver-at';

/** `1000 → "1s"`, `1500 → "1500ms"`, `600000 → "600s"`. */
export function tierLabel(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Name of the retry-tier topic of `topic` for a tier of `ms`: `<topic>.retry.<label>`. */
export function retryTopicName(topic: string, ms: number): string {
  return `${topic}.retry.${tierLabel(ms)}`;
}

/**
 * The tier a record delayed by `delayMs` goes to: the smallest tier not
 * shorter than the delay, else the longest (the record is then held there
 * until due). `tiers` sorted ascending, non-empty.
 */
export function tierFor(delayMs: number, tiers: readonly number[]): number {
  for (const t of tiers) if (t >= delayMs) return t;
  return tiers[tiers.length - 1]!;
}

/** Every retry-tier topic of `topic`. */
export function retryTopics(topic: string, tiers: readonly number[]): string[] {
  return tiers.map((t) => retryTopicName(topic, t));
}
