import type { CommandSpec } from '../../cli/command-spec.js';
import { listOption, parseRecordId, positiveNumberOption } from '../../cli/option-values.js';
import { formatTable } from '../../output/format-table.js';
import { ProgressBar } from '../../output/progress-bar.js';
import { FILTER_OPTIONS, filterOf } from './dead-letter-filter-options.js';

export const dlqRedriveCommand: CommandSpec = {
  name: 'dlq redrive',
  summary: 'publish dead letters back to their topic, for the group that failed them only',
  description:
    'Each dead letter goes back to the topic it failed on, marked for the one group that dead-lettered it: other groups of that topic settle it without handling it. The dead letters stay where they are: purge them once the redrive worked. Run with --dry-run first to see what would happen.',
  positionals: [{ name: 'topic', required: true, description: 'the dead-letter topic (e.g. orders.dlq)' }],
  options: {
    ...FILTER_OPTIONS,
    id: { type: 'string', multiple: true, value: 'id', description: 'only this dead letter <partition>:<position>' },
    'dry-run': { type: 'boolean', description: 'say what would be redriven, publish nothing' },
    rate: { type: 'string', value: 'n', description: 'at most n records per second (default: no limit)' },
  },
  examples: [
    'partita dlq redrive orders.dlq --reason non-retryable --dry-run --brokers 127.0.0.1:9092',
    'partita dlq redrive orders.dlq --group billing --rate 50',
    'partita dlq redrive orders.dlq --id 0:17 --id 1:4 --url http://127.0.0.1:9464',
  ],
  async run(ctx) {
    const topic = ctx.positionals[0]!;
    const ids = listOption(ctx.values, 'id');
    for (const id of ids) parseRecordId(id, 'dlq redrive');
    const ratePerSec = positiveNumberOption(ctx.values, 'rate', 'dlq redrive');
    const dryRun = ctx.values['dry-run'] === true;
    const filter = filterOf(ctx.values);
    const backend = await ctx.backend();
    const bar = !dryRun && !ctx.out.json ? new ProgressBar(ctx.out.stderr, 'redriving') : undefined;
    const report = await backend
      .redrive({
        topic,
        dryRun,
        filter,
        ...(ids.length > 0 ? { ids } : {}),
        ...(ratePerSec !== undefined ? { ratePerSec } : {}),
        ...(bar ? { onProgress: (p: { done: number; total: number }) => bar.update(p.done, p.total) } : {}),
      })
      .finally(() => bar?.finish());
    if (ctx.out.json) return ctx.out.printJson(report);
    const s = ctx.out.style;
    const groups = Object.entries(report.byGroup)
      .map(([g, n]) => `${g}: ${n}`)
      .join(', ');
    if (report.matched === 0) {
      ctx.out.write(`no dead letter in ${topic} matched; nothing ${dryRun ? 'would be' : 'was'} redriven\n`);
      return;
    }
    if (dryRun) {
      ctx.out.write(
        formatTable(
          [{ header: 'ID' }, { header: 'TO TOPIC' }, { header: 'FOR GROUP' }, { header: 'KEY' }, { header: 'REASON' }],
          report.plan.map((p) => [p.id, p.topic, p.group, p.key ?? '-', p.reason ?? '-']),
          s,
        ),
      );
      ctx.out.write(
        `${s.bold('dry run')}: ${report.matched} dead letter${report.matched === 1 ? '' : 's'} would be redriven (${groups}); nothing was published\n`,
      );
      return;
    }
    ctx.out.write(
      `redriven ${report.redriven} of ${report.matched} dead letter${report.matched === 1 ? '' : 's'} (${groups}); they stay in ${topic}: purge them once handled (partita dlq purge ${topic} --id …)\n`,
    );
  },
};
