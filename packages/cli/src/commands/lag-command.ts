import type { CommandSpec } from '../cli/command-spec.js';
import { stringOption } from '../cli/option-values.js';
import { formatTable } from '../output/format-table.js';

export const lagCommand: CommandSpec = {
  name: 'lag',
  summary: 'consumer groups and what each has not settled yet, per partition',
  positionals: [],
  options: {
    group: { type: 'string', value: 'group', description: 'only this consumer group' },
  },
  examples: ['partita lag --transport nats', 'partita lag --group billing --json'],
  async run(ctx) {
    const group = stringOption(ctx.values, 'group');
    const lag = await (await ctx.backend()).lag(group);
    if (ctx.out.json) return ctx.out.printJson({ lag });
    if (lag.length === 0) {
      ctx.out.note(
        group !== undefined
          ? `no lag reported for group "${group}" (no such group, or it has not committed yet)`
          : 'no consumer groups',
      );
      return;
    }
    ctx.out.write(
      formatTable(
        [
          { header: 'GROUP' },
          { header: 'TOPIC' },
          { header: 'PARTITION', right: true },
          { header: 'COMMITTED', right: true },
          { header: 'END', right: true },
          { header: 'LAG', right: true },
        ],
        lag.map((l) => [
          l.group,
          l.topic,
          String(l.partition),
          l.committed ?? '-',
          l.end ?? '-',
          l.lag > 0 ? ctx.out.style.yellow(String(l.lag)) : String(l.lag),
        ]),
        ctx.out.style,
      ),
    );
  },
};
