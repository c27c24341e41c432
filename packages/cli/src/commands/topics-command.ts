import type { CommandSpec } from '../cli/command-spec.js';
import { formatTable } from '../output/format-table.js';

export const topicsCommand: CommandSpec = {
  name: 'topics',
  summary: 'list topics with their partitions and depth',
  description:
    'Dead-letter topics are listed like any other. Depth is what the broker holds now (retained records, or ready plus unacknowledged messages), "-" when it cannot tell.',
  positionals: [],
  options: {},
  examples: ['partita topics --brokers 127.0.0.1:9092', 'partita topics --url http://127.0.0.1:9464 --json'],
  async run(ctx) {
    const topics = await (await ctx.backend()).topics();
    if (ctx.out.json) return ctx.out.printJson({ topics });
    ctx.out.write(
      formatTable(
        [{ header: 'TOPIC' }, { header: 'PARTITIONS', right: true }, { header: 'DEPTH', right: true }],
        topics.map((t) => [t.name, String(t.partitions), t.depth === undefined ? '-' : String(t.depth)]),
        ctx.out.style,
      ),
    );
  },
};
