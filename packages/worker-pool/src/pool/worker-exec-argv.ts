/** The export condition that maps workspace packages to their TypeScript sources (vitest only). */
const SOURCE_CONDITION = '@partita/source';

/**
 * Node flags for worker threads: the parent's, minus the `@partita/source`
 * export condition. Test runners add it so workspace packages resolve to
 * `src/*.ts`; plain worker threads cannot load TypeScript and must use dist.
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if ((arg === '--conditions' || arg === '-C') && parent[i + 1] === SOURCE_CONDITION) { i++; continue; }
    if (arg === `--conditions=${SOURCE_CONDITION}` || arg === `-C=${SOURCE_CONDITION}`) continue;
    out.push(arg);
  }
  return out;
}
