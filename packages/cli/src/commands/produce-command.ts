import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { EXIT, CliError, usageError } from '../cli/cli-error.js';
import type { CommandSpec } from '../cli/command-spec.js';
import { intOption, listOption, stringOption } from '../cli/option-values.js';
import type { RecordToPublish } from '../backend/backend.js';

const encoder = new TextEncoder();

/** `k=v` pairs of `--header` as headers; a usage error for a pair without `=`. */
export function parseHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw usageError(`--header ${JSON.stringify(pair)} is not name=value`, 'produce');
    headers[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return headers;
}

export const produceCommand: CommandSpec = {
  name: 'produce',
  summary: 'publish records: one value, or one per line of a file or stdin',
  description:
    'Each non-empty line of --file (NDJSON, or any text) or of stdin is one record whose value is the line as is (UTF-8). --key and --header apply to every record.',
  positionals: [
    { name: 'topic', required: true, description: 'the topic to publish to' },
    { name: 'value', required: false, description: 'one value (else lines from --file or stdin)' },
  ],
  options: {
    key: { type: 'string', value: 'key', description: 'the record key (decides the partition and the ordering)' },
    header: { type: 'string', multiple: true, value: 'name=value', description: 'a header (repeatable)' },
    file: { type: 'string', value: 'path', description: 'read records from this file, one per line ("-" for stdin)' },
    partition: { type: 'string', value: 'n', description: 'publish to this partition (connectors only, not --url)' },
  },
  examples: [
    `partita produce orders '{"id":1,"total":12}' --key c-42 --brokers 127.0.0.1:9092`,
    'partita produce orders --file orders.ndjson --header source=backfill',
    'cat orders.ndjson | partita produce orders --url http://127.0.0.1:9464',
  ],
  async run(ctx) {
    const [topic, value] = ctx.positionals as [string, string | undefined];
    const file = stringOption(ctx.values, 'file');
    if (value !== undefined && file !== undefined) throw usageError('give a value or --file, not both', 'produce');
    const key = stringOption(ctx.values, 'key');
    const headers = parseHeaders(listOption(ctx.values, 'header'));
    const partition = intOption(ctx.values, 'partition', 'produce', { min: 0 });
    const record = (v: string): RecordToPublish => ({
      value: encoder.encode(v),
      headers,
      ...(key !== undefined ? { key } : {}),
      ...(partition !== undefined ? { partition } : {}),
    });
    let values: string[];
    if (value !== undefined) values = [value];
    else {
      if ((file === undefined || file === '-') && ctx.stdin.isTTY === true)
        throw usageError('give a value, --file, or pipe records on stdin (one per line)', 'produce');
      const input = file === undefined || file === '-' ? ctx.stdin : createReadStream(file);
      values = [];
      try {
        for await (const line of createInterface({ input, crlfDelay: Infinity }))
          if (line.trim() !== '') values.push(line);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(
          code === 'ENOENT'
            ? `--file ${file}: no such file`
            : `cannot read ${file ?? 'stdin'}: ${(err as Error).message}`,
          code === 'ENOENT' ? EXIT.notFound : EXIT.failure,
        );
      }
      if (values.length === 0) throw usageError(`no records: ${file ?? 'stdin'} has no non-empty line`, 'produce');
    }
    const published = await (await ctx.backend()).publish(topic, values.map(record));
    if (ctx.out.json) return ctx.out.printJson({ topic, published });
    ctx.out.write(`published ${published} record${published === 1 ? '' : 's'} to ${topic}\n`);
  },
};
