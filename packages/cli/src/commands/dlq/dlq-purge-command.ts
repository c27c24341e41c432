import { createInterface } from 'node:readline/promises';
import { CliError, EXIT, usageError } from '../../cli/cli-error.js';
import type { CommandSpec } from '../../cli/command-spec.js';
import { listOption, parseRecordId } from '../../cli/option-values.js';

export const dlqPurgeCommand: CommandSpec = {
  name: 'dlq purge',
  summary: 'delete dead letters: all of a topic, or some by id',
  description:
    'Asks for the topic name on a terminal; anywhere else it refuses to run without --yes. Some brokers delete single records only in part (Kafka: from the start of a partition); they say so.',
  positionals: [{ name: 'topic', required: true, description: 'the dead-letter topic' }],
  options: {
    id: { type: 'string', multiple: true, value: 'id', description: 'only this record <partition>:<position>' },
    yes: { type: 'boolean', short: 'y', description: 'do not ask (needed when not on a terminal)' },
  },
  examples: [
    'partita dlq purge orders.dlq --brokers 127.0.0.1:9092',
    'partita dlq purge orders.dlq --id 0:17 --yes --json',
  ],
  async run(ctx) {
    const topic = ctx.positionals[0]!;
    const ids = listOption(ctx.values, 'id');
    for (const id of ids) parseRecordId(id, 'dlq purge');
    const what =
      ids.length > 0 ? `${ids.length} record${ids.length === 1 ? '' : 's'} of ${topic}` : `every record of ${topic}`;
    if (ctx.values.yes !== true) {
      if (ctx.stdin.isTTY !== true || ctx.out.json)
        throw usageError(`refusing to purge ${what} without --yes (not on a terminal)`, 'dlq purge');
      const rl = createInterface({ input: ctx.stdin, output: ctx.out.stderr as NodeJS.WritableStream });
      const answer = await rl
        .question(`Purge ${what}? This cannot be undone. Type the topic name to confirm: `)
        .finally(() => rl.close());
      if (answer.trim() !== topic) throw new CliError('not confirmed; nothing was purged', EXIT.failure);
    }
    const { removed } = await (await ctx.backend()).purge(topic, ids.length > 0 ? ids : undefined);
    if (ctx.out.json) return ctx.out.printJson({ topic, removed });
    ctx.out.write(`purged ${removed} record${removed === 1 ? '' : 's'} of ${topic}\n`);
  },
};
