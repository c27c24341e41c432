import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's `gc()`, available without starting Node with `--expose-gc`. */
const gc = runInNewContext('gc') as () => void;

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** RSS and heap used (MiB) after full garbage collections, so what is left is what is still referenced. */
export async function settledMemory(): Promise<{ rssMb: number; heapUsedMb: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
}
