import { usageError } from './cli-error.js';
import type { OptionValues } from './command-spec.js';

/** A string option, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option (empty when absent). */
export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

/** An integer option within [min, max]; a usage error naming the flag otherwise. */
export function intOption(
  values: OptionValues,
  name: string,
  command: string,
  range: { readonly min: number; readonly max?: number },
): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(v.trim()) || n < range.min || n > max)
    throw usageError(
      `--${name} ${JSON.stringify(v)} is not valid: expected an integer from ${range.min}${range.max !== undefined ? ` to ${range.max}` : ' up'}`,
      command,
    );
  return n;
}

/** A positive number option (e.g. a rate); a usage error naming the flag otherwise. */
export function positiveNumberOption(values: OptionValues, name: string, command: string): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw usageError(`--${name} ${JSON.stringify(v)} is not valid: expected a positive number`, command);
  return n;
}

/** `<partition>:<position>` as `read` and the dashboard name a record. */
export function parseRecordId(id: string, command: string): { partition: number; position: string } {
  const m = /^(\d+):(.+)$/.exec(id);
  if (!m)
    throw usageError(`${JSON.stringify(id)} is not a record id: expected <partition>:<position>, e.g. 0:42`, command);
  return { partition: Number(m[1]), position: m[2]! };
}
