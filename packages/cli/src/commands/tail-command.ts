import { TopicNotFoundError, recordJson, type BrowsedRecord } from '@partita/core';
import type { Backend } from '../backend/backend.js';
import type { CommandContext, CommandSpec } from '../cli/command-spec.js';
import { usageError } from '../cli/cli-error.js';
import { intOption, stringOption } from '../cli/option-values.js';
import { recordLine } from '../output/record-line.js';

/** Records per read while following or catching up. */
const PAGE = 500;

export const tailCommand: CommandSpec = {
  name: 'tail',
  summary: 'print the records of a topic, and with --follow the new ones as they come',
  description:
    'Reads without consuming: no group moves. --from is inclusive. Partitions are read oldest first. With --json, one JSON object per line (NDJSON: id, topic, partition, position, key, headers, timestamp, value in base64, text when UTF-8).',
  positionals: [{ name: 'topic', required: true, description: 'the topic (or dead-letter topic) to read' }],
  options: {
    from: {
      type: 'string',
      value: 'where',
      description: 'earliest (default), latest (only new records; with --follow), or a position',
    },
    partition: { type: 'string', value: 'n', description: 'only this partition' },
    limit: { type: 'string', value: 'n', description: 'at most n records without --follow (default 100)' },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new records until Ctrl-C' },
    interval: { type: 'string', value: 'ms', description: 'poll interval with --follow (default 1000)' },
    headers: { type: 'boolean', description: 'show headers too' },
  },
  examples: [
    'partita tail orders --brokers 127.0.0.1:9092',
    'partita tail orders --from latest --follow --servers nats://127.0.0.1:4222',
    'partita tail orders.dlq --from 0 --partition 1 --limit 10 --json',
  ],
  async run(ctx) {
    const topic = ctx.positionals[0]!;
    const from = stringOption(ctx.values, 'from') ?? 'earliest';
    const partition = intOption(ctx.values, 'partition', 'tail', { min: 0 });
    const limit = intOption(ctx.values, 'limit', 'tail', { min: 1 }) ?? 100;
    const interval = intOption(ctx.values, 'interval', 'tail', { min: 50 }) ?? 1000;
    const follow = ctx.values.follow === true;
    if (!follow && ctx.values.interval !== undefined) throw usageError('--interval goes with --follow', 'tail');
    const backend = await ctx.backend();
    const print = (r: BrowsedRecord): void => {
      if (ctx.out.json) ctx.out.printJson(recordJson(r), true);
      else ctx.out.write(recordLine(r, ctx.out.style, ctx.values.headers === true) + '\n');
    };
    if (!follow) {
      const records = await backend.read(topic, { from, limit, ...(partition !== undefined ? { partition } : {}) });
      records.forEach(print);
      if (records.length === limit && !ctx.out.json)
        ctx.out.note(
          `(first ${limit}; more with --limit, or from ${records.at(-1)!.partition}:${records.at(-1)!.position} on with --from)`,
        );
      return;
    }
    await followTopic(ctx, backend, topic, from, partition, interval, print);
  },
};

/**
 * Follow every partition (or one) from `from`: each poll reads a partition from
 * its last printed position (inclusive, so that record is skipped), and only
 * when the partition's end moved, where `topics()` tells (`ends`). `latest`
 * starts at `ends`; a broker that does not give them is caught up silently
 * from the earliest record first.
 */
async function followTopic(
  ctx: CommandContext,
  backend: Backend,
  topic: string,
  from: string,
  only: number | undefined,
  interval: number,
  print: (r: BrowsedRecord) => void,
): Promise<void> {
  const info = async () => {
    const t = (await backend.topics()).find((x) => x.name === topic);
    if (t === undefined) throw new TopicNotFoundError(topic);
    return t;
  };
  const first = await info();
  const partitions = only !== undefined ? [only] : Array.from({ length: first.partitions }, (_, i) => i);
  if (only !== undefined && only >= first.partitions)
    throw usageError(`--partition ${only}: ${topic} has partitions 0 to ${first.partitions - 1}`, 'tail');
  /** Per partition: where to read from, and the last record printed there (skipped: `from` is inclusive). */
  const cursor = new Map<number, { from: string; last: string | undefined; end: string | undefined }>();
  for (const p of partitions) {
    if (from !== 'latest') cursor.set(p, { from, last: undefined, end: undefined });
    else if (first.ends?.[p] !== undefined) cursor.set(p, { from: first.ends[p], last: undefined, end: first.ends[p] });
    else {
      // No end from the broker: read to the end without printing.
      let c = { from: 'earliest', last: undefined as string | undefined };
      for (;;) {
        const page = (await backend.read(topic, { from: c.from, partition: p, limit: PAGE })).filter(
          (r) => r.position !== c.last,
        );
        if (page.length === 0) break;
        c = { from: page.at(-1)!.position, last: page.at(-1)!.position };
      }
      cursor.set(p, { ...c, end: undefined });
    }
  }
  ctx.out.note(`following ${topic}${only !== undefined ? ` partition ${only}` : ''} (Ctrl-C to stop)`);
  while (!ctx.signal.aborted) {
    const ends = (await info()).ends;
    for (const p of partitions) {
      const c = cursor.get(p)!;
      const end = ends?.[p];
      if (end !== undefined && c.end === end) continue;
      for (;;) {
        const page = (await backend.read(topic, { from: c.from, partition: p, limit: PAGE })).filter(
          (r) => r.position !== c.last,
        );
        page.forEach(print);
        if (page.length > 0) {
          c.from = page.at(-1)!.position;
          c.last = c.from;
        }
        if (page.length < PAGE - 1 || ctx.signal.aborted) break;
      }
      c.end = end;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
