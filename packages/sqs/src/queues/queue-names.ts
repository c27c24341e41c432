import { createHash } from 'node:crypto';

/** SQS's limit on a queue name, `.fifo` included. */
export const MAX_QUEUE_NAME = 80;
const FIFO_SUFFIX = '.fifo';
/** Separates the topic part from the group part; the encoding of a name never contains it. */
export const SEPARATOR = '__';
/** Group part of a dead-letter topic's archive queue; `_z` never comes out of {@link encodeName}. */
export const ARCHIVE_GROUP = '_zdlq';

/**
 * An injective encoding of any string into SQS's queue-name alphabet: ASCII
 * letters, digits and `-` are kept, every other UTF-8 byte is `_` and two
 * lowercase hex digits. So the result never contains `__` and never `_x`/`_z`.
 */
export function encodeName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(ch) ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `encoded` cut to `max` characters: a readable head, `_x`, and a hash of the whole name. */
function fit(encoded: string, name: string, max: number): string {
  if (encoded.length <= max) return encoded;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  let head = encoded.slice(0, Math.max(0, max - hash.length - 2));
  const cut = head.lastIndexOf('_');
  if (cut >= 0 && cut > head.length - 3) head = head.slice(0, cut); // never half an escape
  return `${head}_x${hash}`;
}

/** Characters of a queue name the topic part may take (the rest is separator, group and `.fifo`). */
function topicBudget(prefix: string): number {
  return Math.floor((MAX_QUEUE_NAME - FIFO_SUFFIX.length - prefix.length - SEPARATOR.length) / 2);
}

/**
 * Every queue of `topic` starts with this: `<prefix><topic part>__`. No
 * other topic's queues do (the topic part never contains `__`).
 */
export function topicQueuePrefix(prefix: string, topic: string): string {
  return `${prefix}${fit(encodeName(topic), topic, topicBudget(prefix))}${SEPARATOR}`;
}

/**
 * The queue of one (topic, group): `<prefix><topic>__<group>`, `.fifo` for
 * FIFO queues, at most 80 characters (long parts end in a hash).
 */
export function queueNameFor(prefix: string, topic: string, group: string, fifo: boolean): string {
  const head = topicQueuePrefix(prefix, topic);
  const room = MAX_QUEUE_NAME - FIFO_SUFFIX.length - head.length;
  const groupPart = group === ARCHIVE_GROUP ? ARCHIVE_GROUP : fit(encodeName(group), group, room);
  return `${head}${groupPart}${fifo ? FIFO_SUFFIX : ''}`;
}

/** Whether a queue name or URL is of a FIFO queue. */
export function isFifoQueue(nameOrUrl: string): boolean {
  return nameOrUrl.endsWith(FIFO_SUFFIX);
}

/** The name {@link encodeName} encoded, or undefined when it was shortened to a hash (`_x…`) or is not an encoding. */
export function decodeName(encoded: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch !== '_') {
      if (!/[A-Za-z0-9-]/.test(ch)) return undefined;
      bytes.push(ch.charCodeAt(0));
      continue;
    }
    const hex = encoded.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  const text = Buffer.from(bytes).toString('utf8');
  return encodeName(text) === encoded ? text : undefined;
}

/**
 * A queue name of this prefix taken apart: the encoded topic part (see
 * {@link topicQueuePrefix}), the group part (`_zdlq` for an archive), FIFO;
 * undefined when the name is not `<prefix><topic part>__<group part>`.
 */
export function parseQueueName(
  prefix: string,
  name: string,
): { readonly topicPart: string; readonly groupPart: string; readonly fifo: boolean } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const fifo = isFifoQueue(name);
  const rest = name.slice(prefix.length, fifo ? -FIFO_SUFFIX.length : undefined);
  const sep = rest.indexOf(SEPARATOR);
  if (sep <= 0 || sep + SEPARATOR.length >= rest.length) return undefined;
  return { topicPart: rest.slice(0, sep), groupPart: rest.slice(sep + SEPARATOR.length), fifo };
}
