import { DLQ_HEADERS, matchesDeadLetter, recordId, recordJson, type BrowsedRecord } from '@partita/core';
import type { CommandSpec } from '../../cli/command-spec.js';
import { intOption } from '../../cli/option-values.js';
import { formatTable } from '../../output/format-table.js';
import { FILTER_OPTIONS, filterOf } from './dead-letter-filter-options.js';
import { scanTopic } from './scan-topic.js';

export const dlqLsCommand: CommandSpec = {
  name: 'dlq ls',
  summary: 'list the dead letters of a dead-letter topic, with filters',
  description: 'Reads the whole dead-letter topic without consuming it. Filters combine (every one given must match).',
  positionals: [{ name: 'topic', required: true, description: 'the dead-letter topic (e.g. orders.dlq)' }],
  options: {
    ...FILTER_OPTIONS,
    limit: { type: 'string', value: 'n', description: 'show at most n (default 100; all are counted)' },
  },
  examples: [
    'partita dlq ls orders.dlq --brokers 127.0.0.1:9092',
    'partita dlq ls orders.dlq --reason non-retryable --group billing --json',
  ],
  async run(ctx) {
    const topic = ctx.positionals[0]!;
    const limit = intOption(ctx.values, 'limit', 'dlq ls', { min: 1 }) ?? 100;
    const filter = filterOf(ctx.values);
    const shown: BrowsedRecord[] = [];
    let matched = 0;
    for await (const r of scanTopic(await ctx.backend(), topic)) {
      if (!matchesDeadLetter(r, filter)) continue;
      matched++;
      if (shown.length < limit) shown.push(r);
    }
    if (ctx.out.json) return ctx.out.printJson({ topic, matched, records: shown.map(recordJson) });
    const h = (r: BrowsedRecord, name: string): string => r.headers[name] ?? '-';
    ctx.out.write(
      formatTable(
        [
          { header: 'ID' },
          { header: 'FAILED AT' },
          { header: 'GROUP' },
          { header: 'REASON' },
          { header: 'ERROR' },
          { header: 'KEY' },
          { header: 'ATTEMPTS', right: true },
          { header: 'MESSAGE' },
        ],
        shown.map((r) => [
          recordId(r),
          h(r, DLQ_HEADERS.failedAt),
          h(r, DLQ_HEADERS.group),
          h(r, DLQ_HEADERS.reason),
          h(r, DLQ_HEADERS.errorName),
          r.headers[DLQ_HEADERS.key] ?? r.key ?? '-',
          h(r, DLQ_HEADERS.attempts),
          truncate(h(r, DLQ_HEADERS.errorMessage), 60),
        ]),
        ctx.out.style,
      ),
    );
    ctx.out.note(
      matched > shown.length
        ? `${matched} dead letters matched; ${shown.length} shown (--limit for more)`
        : `${matched} dead letter${matched === 1 ? '' : 's'}`,
    );
  },
};

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
