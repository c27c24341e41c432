/** One timed run of a side: its rate and the process CPU time it took per message. */
export interface RoundMeasure {
  readonly msgsPerSec: number;
  readonly cpuUsPerMsg: number;
}

/**
 * Start a wall clock and a process CPU clock; the returned function stops both
 * and reports the rate and CPU µs per message of `count` messages.
 */
export function startMeasure(): (count: number) => RoundMeasure {
  const start = performance.now();
  const cpu = process.cpuUsage();
  return (count) => {
    const secs = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return { msgsPerSec: count / secs, cpuUsPerMsg: (used.user + used.system) / count };
  };
}

/** Median of a non-empty array (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What {@link pairedRounds} measured. */
export interface PairedResult {
  /** Median over the rounds of `subject_i / baseline_i` (rates of the same round, run back to back). */
  readonly ratio: number;
  /** Least CPU per message of the baseline over the subject's: less sensitive to other jobs on the machine. */
  readonly cpuRatio: number;
  /** Every round's measures, in order. */
  readonly baseline: readonly RoundMeasure[];
  readonly subject: readonly RoundMeasure[];
  /** Every round's `subject/baseline` rate ratio, in order. */
  readonly ratios: readonly number[];
}

/**
 * Run `rounds` rounds of a baseline and a subject back to back, the order
 * alternating (baseline first in even rounds, subject first in odd ones) so a
 * drift of the machine's load does not favour one side; each run is told its
 * round number so it can use fresh names. Every run's result, per side, in
 * round order.
 */
export async function alternating<T>(
  rounds: number,
  baseline: (round: number) => Promise<T>,
  subject: (round: number) => Promise<T>,
): Promise<{ readonly baseline: T[]; readonly subject: T[] }> {
  const b: T[] = [];
  const s: T[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      b.push(await baseline(round));
      s.push(await subject(round));
    } else {
      s.push(await subject(round));
      b.push(await baseline(round));
    }
  }
  return { baseline: b, subject: s };
}

/**
 * {@link alternating} rounds of rate measures. On a shared machine the load
 * moves between seconds-long runs; the ratio of two adjacent runs, then the
 * median over rounds, is steadier than the ratio of two bests.
 */
export async function pairedRounds(
  rounds: number,
  baseline: (round: number) => Promise<RoundMeasure>,
  subject: (round: number) => Promise<RoundMeasure>,
): Promise<PairedResult> {
  const { baseline: b, subject: s } = await alternating(rounds, baseline, subject);
  const ratios = s.map((m, i) => m.msgsPerSec / b[i]!.msgsPerSec);
  const leastCpu = (ms: readonly RoundMeasure[]) => Math.min(...ms.map((m) => m.cpuUsPerMsg));
  return { ratio: median(ratios), cpuRatio: leastCpu(b) / leastCpu(s), baseline: b, subject: s, ratios };
}

/** A round's measures rounded for a JSON row's `rounds`. */
export function roundsForRow(ms: readonly RoundMeasure[]): { msgsPerSec: number; cpuUsPerMsg: number }[] {
  return ms.map((m) => ({ msgsPerSec: Math.round(m.msgsPerSec), cpuUsPerMsg: Number(m.cpuUsPerMsg.toFixed(3)) }));
}
