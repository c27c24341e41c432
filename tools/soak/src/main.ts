// `npm run soak -- <connector> [--seconds N] [--seed S] [--rate R] [--keep]`:
// runs the chaos soak and prints the ledger's report; exit code 1 when a
// check fails, 2 on bad arguments.
import { ConfigError } from '@partita/core';
import { soakConnectors } from './connectors/connectors.js';
import { runSoak } from './runner/run-soak.js';
import { formatSoakResult } from './verdict/format-soak-result.js';

const usage = `usage: npm run soak -- <${Object.keys(soakConnectors).join('|')}> [--seconds N] [--seed S] [--rate MSG_PER_S] [--keep] [--trace]`;

function parse(argv: readonly string[]) {
  const [connector, ...rest] = argv;
  if (!connector || connector.startsWith('-')) throw new ConfigError(`soak: a connector is required; ${usage}`);
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`soak: unexpected argument '${a}'; ${usage}`);
    const next = rest[i + 1];
    if (a === '--keep' || a === '--trace') flags[a.slice(2)] = true;
    else if (next === undefined) throw new ConfigError(`soak: ${a} needs a value; ${usage}`);
    else flags[a.slice(2)] = rest[++i]!;
  }
  const num = (name: string): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isFinite(n))
      throw new ConfigError(`soak: --${name} must be a number, got '${String(v)}'`);
    return n;
  };
  for (const f of Object.keys(flags))
    if (!['seconds', 'seed', 'rate', 'keep', 'trace'].includes(f))
      throw new ConfigError(`soak: unknown option --${f}; ${usage}`);
  return {
    connector,
    seconds: num('seconds'),
    seed: num('seed'),
    ratePerSecond: num('rate'),
    keepFiles: flags.keep === true,
    trace: flags.trace === true,
  };
}

try {
  const options = parse(process.argv.slice(2));
  const { trace, ...rest } = options;
  const result = await runSoak({
    ...rest,
    log: (l) => console.error(l),
    ...(trace && { trace: (l: string) => console.error(l) }),
  });
  console.log(formatSoakResult(result));
  if (options.keepFiles) console.log(`  files: ${result.dir}`);
  process.exit(result.ok ? 0 : 1);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
