/**
 * A one-line progress bar with counts, percentage and ETA, redrawn in place
 * on a terminal (`\r`); silent on anything else. Writes to stderr so stdout
 * stays the command's result.
 */
export class ProgressBar {
  private readonly started: number;
  private drawn = false;

  constructor(
    private readonly stream: { readonly isTTY?: boolean; readonly columns?: number; write(s: string): unknown },
    private readonly label: string,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(done: number, total: number): void {
    if (this.stream.isTTY !== true) return;
    this.stream.write(`\r${this.render(done, total)}\u001b[K`);
    this.drawn = true;
  }

  /** End the line (the last state stays visible). */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  /** The line for `done` of `total` (exported for tests). */
  render(done: number, total: number): string {
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 50));
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const elapsed = (this.now() - this.started) / 1000;
    const eta = done > 0 && done < total ? ` ETA ${formatSeconds((elapsed / done) * (total - done))}` : '';
    return `${this.label} [${bar}] ${done}/${total} ${Math.floor(ratio * 100)}%${eta}`;
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
