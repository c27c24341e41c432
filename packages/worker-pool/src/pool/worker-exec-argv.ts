/** The export condition that maps workspace packages to their TypeScript sources (vitest only). */
const SOURCE_CONDITION = '@partita/source';

/**
 * Node flags for worker threads: `undefined` (inherit the parent's, which
 * Node filters itself) unless the parent carries the `@partita/source` export
 * condition. Test runners add it so workspace packages resolve to
 * `src/*.ts`; plain worker threads cannot load TypeScript and must use dist,
 * so then the parent's flags are passed without it.
 *
 * Passing the parent's flags explicitly in every case would make Node reject
 * the worker for process-wide flags such as `--trace-gc` or `--expose-gc`
 * (ERR_WORKER_INVALID_EXEC_ARGV), which it accepts when they are inherited.
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] | undefined {
  const out: string[] = [];
  let stripped = false;
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if ((arg === '--conditions' || arg === '-C') && parent[i + 1] === SOURCE_CONDITION) {
      i++;
      stripped = true;
      continue;
    }
    if (arg === `--conditions=${SOURCE_CONDITION}` || arg === `-C=${SOURCE_CONDITION}`) {
      stripped = true;
      continue;
    }
    out.push(arg);
  }
  return stripped ? out : undefined;
}
