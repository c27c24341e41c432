import type { CommandSpec, OptionSpec } from './command-spec.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import type { Style } from '../output/style.js';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` <${o.value}>` : ''}`;
    return [flag, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

/** `partita <command> --help`: usage, what it does, arguments, options, examples. */
export function renderCommandHelp(spec: CommandSpec, style: Style): string {
  const args = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  const lines = [
    `${style.bold('Usage:')} partita ${spec.name}${args ? ` ${args}` : ''} [options]`,
    '',
    spec.summary.charAt(0).toUpperCase() + spec.summary.slice(1) + '.',
  ];
  if (spec.description) lines.push(spec.description);
  if (spec.positionals.length > 0) {
    lines.push('', style.bold('Arguments:'));
    const width = Math.max(...spec.positionals.map((p) => p.name.length));
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(width)}  ${p.description}`);
  }
  if (Object.keys(spec.options).length > 0) lines.push('', style.bold('Options:'), ...optionLines(spec.options));
  lines.push('', style.bold('Connection and output (every command):'), ...optionLines(GLOBAL_OPTIONS));
  lines.push('', style.bold('Examples:'), ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

/** `partita --help`: the commands and where to connect. */
export function renderMainHelp(specs: readonly CommandSpec[], style: Style): string {
  const width = Math.max(...specs.map((s) => s.name.length));
  return (
    [
      `${style.bold('Usage:')} partita <command> [arguments] [options]`,
      '',
      'Operate partita pipelines on any broker: topics, lag, records, dead letters, running apps.',
      '',
      style.bold('Commands:'),
      ...specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
      '',
      style.bold('Where it connects (first found):'),
      '  flags          --url <admin url> (a running app), or --transport with --brokers/--servers/…',
      "  environment    PARTITA_ADMIN_URL, or PARTITA_TRANSPORT with the connector's PARTITA_* variables",
      '  config file    partita.config.yaml|yml|json here, or --config / PARTITA_CONFIG (admin.url, or transport + its section)',
      '',
      'The embedded broker (memory) lives inside an app: reach it with --url.',
      '',
      style.bold('Exit codes:'),
      '  0 ok   1 failed   2 bad usage or configuration   3 not found, or the broker/app cannot be reached',
      '',
      style.bold('Examples:'),
      '  partita topics --brokers 127.0.0.1:9092',
      '  partita dlq ls orders.dlq --reason non-retryable --servers nats://127.0.0.1:4222',
      '  partita dlq redrive orders.dlq --dry-run --url http://127.0.0.1:9464',
      '  partita inspect --url http://127.0.0.1:9464',
      '',
      `Run ${style.bold('partita <command> --help')} for a command's options.`,
    ].join('\n') + '\n'
  );
}
