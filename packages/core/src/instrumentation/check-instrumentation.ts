import { optionError } from '../options/option-error.js';
import type { Instrumentation } from './instrumentation.js';

/** `createApp`'s `instrumentation` option, checked: an array of objects whose hooks are functions. */
export function checkInstrumentation(value: unknown): readonly Instrumentation[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw optionError('createApp', 'instrumentation', 'an array of instrumentations ({ publish?, attempt? })', value);
  value.forEach((i: unknown, n) => {
    const ok =
      i !== null &&
      typeof i === 'object' &&
      ['publish', 'attempt'].every((k) => {
        const hook = (i as Record<string, unknown>)[k];
        return hook === undefined || typeof hook === 'function';
      });
    if (!ok)
      throw optionError('createApp', `instrumentation[${n}]`, 'an object whose publish and attempt are functions', i);
  });
  return value as readonly Instrumentation[];
}
