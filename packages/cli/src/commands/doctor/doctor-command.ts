import { EXIT } from '../../cli/cli-error.js';
import type { CommandSpec } from '../../cli/command-spec.js';
import type { Connection } from '../../cli/resolve-connection.js';
import { checkApp } from './check-app.js';
import { checkBroker } from './check-broker.js';
import type { Check } from './check.js';

/** The lowest Node.js the packages support (package.json `engines`). */
const MIN_NODE = [20, 11] as const;

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'check the setup: Node.js, config, packages, connectivity, credentials, permissions',
  description:
    'Runs every check it can and says, for each problem, what to do. Checks the broker given by the flags, PARTITA_* variables or config file, or the app given by --url. Exits 1 when a check failed.',
  positionals: [],
  options: {},
  examples: ['partita doctor --brokers 127.0.0.1:9092', 'partita doctor --url http://127.0.0.1:9464 --json'],
  async run(ctx) {
    const checks: Check[] = [];
    const add = (c: Check): void => {
      checks.push(c);
      if (!ctx.out.json) ctx.out.write(line(c, ctx.out.style));
    };
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    add(
      major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])
        ? { name: 'node', status: 'ok', detail: `Node.js ${process.versions.node}` }
        : {
            name: 'node',
            status: 'fail',
            detail: `Node.js ${process.versions.node} is too old`,
            fix: `install Node.js ${MIN_NODE.join('.')} or later`,
          },
    );
    let connection: Connection | undefined;
    try {
      const config = await ctx.config();
      add({
        name: 'config',
        status: config.path ? 'ok' : 'info',
        detail: config.path ? `read ${config.path}` : 'no config file (flags and PARTITA_* variables only)',
      });
      connection = await ctx.connection();
      add({ name: 'target', status: 'ok', detail: targetOf(connection) });
    } catch (err) {
      add({ name: 'config', status: 'fail', detail: (err as Error).message.split('\n')[0]!, fix: fixOf(err) });
    }
    if (connection?.kind === 'http') await checkApp(connection, ctx.timeoutMs, add);
    else if (connection?.kind === 'transport') await checkBroker(connection, ctx.timeoutMs, add);
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (ctx.out.json) ctx.out.printJson({ ok: failed === 0, checks });
    else
      ctx.out.write(
        failed === 0
          ? ctx.out.style.green('no problem found\n')
          : ctx.out.style.red(`${failed} problem${failed === 1 ? '' : 's'} found\n`),
      );
    return failed === 0 ? EXIT.ok : EXIT.failure;
  },
};

function targetOf(c: Connection): string {
  return c.kind === 'http' ? `the app at ${c.url} (from ${c.from})` : `${c.transport} (from ${c.from})`;
}

function fixOf(err: unknown): string {
  return /config file/.test(String((err as Error).message))
    ? 'fix the config file as the message says'
    : 'see `partita --help` for the connection flags';
}

function line(c: Check, s: import('../../output/style.js').Style): string {
  const mark = { ok: s.green('✓'), info: s.dim('·'), warn: s.yellow('!'), fail: s.red('✗') }[c.status];
  return `${mark} ${c.name.padEnd(12)} ${c.detail}${c.fix ? `\n  ${s.dim('→')} ${c.fix}` : ''}\n`;
}
