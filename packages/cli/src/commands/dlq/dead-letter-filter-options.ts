import type { DeadLetterFilter } from '@partita/core';
import type { OptionSpec, OptionValues } from '../../cli/command-spec.js';
import { stringOption } from '../../cli/option-values.js';

/** The filter flags of `dlq ls` and `dlq redrive`. */
export const FILTER_OPTIONS = {
  reason: {
    type: 'string',
    value: 'reason',
    description: 'only this dead-letter reason (retries-exhausted, non-retryable, decode, timeout, …)',
  },
  error: { type: 'string', value: 'name', description: "only this error name (the thrown error's name)" },
  key: { type: 'string', value: 'key', description: 'only this record key' },
  group: { type: 'string', value: 'group', description: 'only dead letters of this consumer group' },
} as const satisfies Record<string, OptionSpec>;

export function filterOf(values: OptionValues): DeadLetterFilter {
  const reason = stringOption(values, 'reason');
  const errorName = stringOption(values, 'error');
  const key = stringOption(values, 'key');
  const group = stringOption(values, 'group');
  return {
    ...(reason !== undefined ? { reason } : {}),
    ...(errorName !== undefined ? { errorName } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}
