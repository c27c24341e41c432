import { DLQ_HEADERS, recordId, recordJson, valueText } from '@partita/core';
import { CliError, EXIT } from '../../cli/cli-error.js';
import type { CommandSpec } from '../../cli/command-spec.js';
import { parseRecordId } from '../../cli/option-values.js';

/** The dead-letter headers, in the order shown, with their labels. */
const FAILURE = [
  ['reason', DLQ_HEADERS.reason],
  ['error', DLQ_HEADERS.errorName],
  ['message', DLQ_HEADERS.errorMessage],
  ['group', DLQ_HEADERS.group],
  ['handler', DLQ_HEADERS.handler],
  ['attempts', DLQ_HEADERS.attempts],
  ['failed at', DLQ_HEADERS.failedAt],
  ['original topic', DLQ_HEADERS.topic],
  ['original partition', DLQ_HEADERS.partition],
  ['original offset', DLQ_HEADERS.offset],
  ['original key', DLQ_HEADERS.key],
] as const;

export const dlqShowCommand: CommandSpec = {
  name: 'dlq show',
  summary: 'one dead letter: why it failed, its headers, stack and payload',
  positionals: [
    { name: 'topic', required: true, description: 'the dead-letter topic' },
    { name: 'id', required: true, description: 'the record id <partition>:<position>, as dlq ls shows it' },
  ],
  options: {},
  examples: ['partita dlq show orders.dlq 0:17 --brokers 127.0.0.1:9092', 'partita dlq show orders.dlq 0:17 --json'],
  async run(ctx) {
    const [topic, id] = ctx.positionals as [string, string];
    const { partition, position } = parseRecordId(id, 'dlq show');
    const [r] = await (await ctx.backend()).read(topic, { from: position, partition, limit: 1 });
    if (r === undefined || r.position !== position)
      throw new CliError(
        `no record ${id} in ${topic} (purged, or a wrong id); list them with \`partita dlq ls ${topic}\``,
        EXIT.notFound,
      );
    if (ctx.out.json) return ctx.out.printJson(recordJson(r));
    const s = ctx.out.style;
    const lines: string[] = [`${s.bold('dead letter')} ${s.cyan(recordId(r))} of ${topic}`];
    const row = (label: string, value: string | undefined): void => {
      if (value !== undefined) lines.push(`  ${s.dim(label.padEnd(19))}${value}`);
    };
    row('time', new Date(r.timestamp).toISOString());
    row('key', r.key ?? '-');
    for (const [label, name] of FAILURE)
      row(label, name === DLQ_HEADERS.reason ? s.yellow(r.headers[name] ?? '-') : r.headers[name]);
    const known = new Set<string>([...FAILURE.map(([, n]) => n), DLQ_HEADERS.errorStack]);
    const others = Object.entries(r.headers).filter(([n]) => !known.has(n));
    if (others.length > 0) {
      lines.push(s.bold('headers'));
      for (const [n, v] of others) row(n, v);
    }
    const stack = r.headers[DLQ_HEADERS.errorStack];
    if (stack !== undefined) lines.push(s.bold('stack'), ...stack.split('\n').map((l) => `  ${s.dim(l)}`));
    lines.push(s.bold('value'));
    const text = valueText(r.value);
    if (r.value === null) lines.push(`  ${s.dim('(tombstone)')}`);
    else if (text === undefined)
      lines.push(
        `  ${s.dim(`(${r.value.byteLength} bytes, binary; base64:)`)}`,
        `  ${Buffer.from(r.value).toString('base64')}`,
      );
    else
      lines.push(
        ...pretty(text)
          .split('\n')
          .map((l) => `  ${l}`),
      );
    ctx.out.write(lines.join('\n') + '\n');
  },
};

/** JSON indented, anything else as is. */
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
