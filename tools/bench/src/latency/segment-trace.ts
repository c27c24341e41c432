import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

/** A publisher turn longer than this is logged as an event-loop stall. */
const STALL_MS = 10;
/** Width of a CPU bin. */
const BIN_MS = 250;
/** GC pauses shorter than this are not logged. */
const GC_MS = 5;

let segments = 0;

/** [idle, total] jiffies of the whole machine (Linux `/proc/stat`); undefined elsewhere. */
function machineCpu(): [number, number] | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return [f[3]! + f[4]!, f.reduce((a, b) => a + b, 0)];
  } catch {
    return undefined;
  }
}

const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;

/**
 * `BENCH_LATENCY_TRACE=<dir>`: what one fixed-rate segment saw, to tell a
 * connector's own waits from the machine's (issue 19, decision 62). Writes
 * `<n>-<transport>-<side>.csv` (one line per handled message, warm-up
 * included: publish time in ms after the warm-up, latency in ms) and
 * `<n>-<transport>-<side>.cpu`: `stall <at> <ms> cpu <ms>` for every
 * publisher turn longer than 10 ms (the event loop was held: the process's
 * CPU time in it tells a busy process, e.g. a GC, from one the OS did not
 * run), `gc <at> <ms> kind <k>` for GC pauses over 5 ms, and `bin <at> proc
 * <cores> machine-busy <share>` every 250 ms (this process's CPU, and the
 * share of the machine's CPU time not idle). Prints one summary line per
 * segment.
 */
export class SegmentTrace {
  private readonly samples: number[] = [];
  private readonly lines: string[] = [];
  private readonly gcs: [number, number, number][] = [];
  private readonly observer: PerformanceObserver;
  private readonly cpu0 = process.cpuUsage();
  private prevTurn = performance.now();
  private prevCpu = this.cpu0;
  private binAt = this.prevTurn;
  private binCpu = this.cpu0;
  private binMachine = machineCpu();
  private busyBins = 0;
  private bins = 0;
  private worstStall: [number, number] = [0, 0];

  private constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if (e.duration > GC_MS)
          this.gcs.push([e.startTime, e.duration, (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0]);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** A trace of this segment when `BENCH_LATENCY_TRACE` names a directory. */
  static fromEnv(transport: string, side: string): SegmentTrace | undefined {
    const dir = process.env.BENCH_LATENCY_TRACE;
    return dir ? new SegmentTrace(dir, `${String(segments++).padStart(2, '0')}-${transport}-${side}`) : undefined;
  }

  /** A message handled: its publish stamp and its latency (ms). */
  handled(stamp: number, latencyMs: number): void {
    this.samples.push(stamp, latencyMs);
  }

  /** Each publisher turn (every ~1 ms timer turn). */
  turn(now: number): void {
    const cpu = process.cpuUsage();
    const gap = now - this.prevTurn;
    if (gap > STALL_MS) {
      const used = cpuMs(this.prevCpu, cpu);
      this.lines.push(`stall ${this.prevTurn.toFixed(1)} ${gap.toFixed(1)} cpu ${used.toFixed(1)}`);
      if (gap > this.worstStall[0]) this.worstStall = [gap, used];
    }
    this.prevTurn = now;
    this.prevCpu = cpu;
    if (now - this.binAt < BIN_MS) return;
    const machine = machineCpu();
    const busy =
      machine && this.binMachine
        ? 1 - (machine[0] - this.binMachine[0]) / Math.max(1, machine[1] - this.binMachine[1])
        : NaN;
    this.lines.push(
      `bin ${this.binAt.toFixed(0)} proc ${(cpuMs(this.binCpu, cpu) / (now - this.binAt)).toFixed(2)} machine-busy ${busy.toFixed(2)}`,
    );
    this.bins++;
    if (busy >= 0.97) this.busyBins++;
    this.binAt = now;
    this.binCpu = cpu;
    this.binMachine = machine;
  }

  /** Write the files, times relative to `from` (the end of the warm-up), and print the summary. */
  write(from: number, published: number): void {
    this.observer.disconnect();
    mkdirSync(this.dir, { recursive: true });
    const csv: string[] = [];
    let max = 0;
    for (let i = 0; i + 1 < this.samples.length; i += 2) {
      csv.push(`${(this.samples[i]! - from).toFixed(3)},${this.samples[i + 1]!.toFixed(3)}`);
      if (this.samples[i]! >= from) max = Math.max(max, this.samples[i + 1]!);
    }
    writeFileSync(join(this.dir, `${this.name}.csv`), csv.join('\n') + '\n');
    const shift = (line: string): string => {
      const [kind, at, ...rest] = line.split(' ');
      return [kind, (Number(at) - from).toFixed(1), ...rest].join(' ');
    };
    const gcs = this.gcs.map(([at, ms, kind]) => `gc ${(at - from).toFixed(1)} ${ms.toFixed(1)} kind ${kind}`);
    writeFileSync(join(this.dir, `${this.name}.cpu`), [...this.lines.map(shift), ...gcs].join('\n') + '\n');
    const cpu = cpuMs(this.cpu0, process.cpuUsage());
    console.error(
      `[trace] ${this.name}: max ${max.toFixed(1)} ms; ${((cpu * 1000) / Math.max(1, published)).toFixed(1)} µs CPU per message; ` +
        `longest turn ${this.worstStall[0].toFixed(0)} ms (CPU ${this.worstStall[1].toFixed(0)} ms in it); ` +
        `machine ≥ 97 % busy in ${this.busyBins} of ${this.bins} bins`,
    );
  }
}
