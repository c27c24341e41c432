import { InvalidTopicError } from '../errors/partita-error.js';

/**
 * Longest topic name every broker accepts, in UTF-8 bytes (Kafka's limit;
 * it also keeps a durable directory name for the topic under the 255 bytes
 * file systems allow).
 */
export const TOPIC_NAME_MAX_BYTES = 249;

/**
 * A broker's rules on top of the shared ones (see docs/configuration.md
 * "Topic names"). A broker can only narrow the shared rules, never widen them.
 */
export interface TopicNameRules {
  /** Who imposes these rules, for the message (e.g. `'Kafka'`). */
  readonly broker?: string;
  /** A lower limit in UTF-8 bytes (a larger one is ignored: the shared 249 holds). */
  readonly maxBytes?: number;
  /** The only characters allowed (a pattern matching one character), and how to say so. */
  readonly allowed?: { readonly pattern: RegExp; readonly description: string };
  /** Any further check: returns the rule the name breaks, or `undefined`. */
  readonly check?: (name: string) => string | undefined;
}

const FORBIDDEN = ['*', '>', '/', '\\'] as const;
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;
const WHITESPACE = /\s/u;
const encoder = new TextEncoder();

/**
 * Check a topic name against the rules every broker shares, then `rules`:
 * a non-empty string, at most 249 bytes in UTF-8, well-formed Unicode, no
 * control characters, no whitespace, none of `* > / \`, not `.` or `..`.
 * Throws `InvalidTopicError` (not retryable) naming the topic, the rule broken
 * and the fix; brokers call it before they record anything about a topic.
 */
export function validateTopicName(name: unknown, rules: TopicNameRules = {}): asserts name is string {
  const fail = (rule: string, fix: string): never => {
    throw new InvalidTopicError(name, rule, fix);
  };
  if (typeof name !== 'string') fail('a topic name must be a string', 'pass the topic name as a string');
  const s = name as string;
  if (s === '') fail('a topic name must not be empty', 'give the topic a name such as "orders"');
  if (s === '.' || s === '..')
    fail('"." and ".." are not topic names', 'use a name with other characters, such as "orders"');
  const at = (re: RegExp): string => {
    const m = re.exec(s);
    return m ? `${JSON.stringify(m[0])} at index ${m.index}` : '';
  };
  if (LONE_SURROGATE.test(s))
    fail(`it must be well-formed Unicode (it has a lone surrogate ${at(LONE_SURROGATE)})`, "fix the string's encoding");
  if (CONTROL.test(s)) fail(`it must not contain control characters (found ${at(CONTROL)})`, 'remove them');
  if (WHITESPACE.test(s))
    fail(`it must not contain whitespace (found ${at(WHITESPACE)})`, 'use "-", "_" or "." instead');
  const bad = FORBIDDEN.find((c) => s.includes(c));
  if (bad !== undefined)
    fail(
      `it must not contain any of * > / \\ (found ${JSON.stringify(bad)} at index ${s.indexOf(bad)})`,
      'use "-", "_" or "." instead',
    );
  const limit = Math.min(TOPIC_NAME_MAX_BYTES, rules.maxBytes ?? TOPIC_NAME_MAX_BYTES);
  const bytes = encoder.encode(s).length;
  const who = rules.broker ? `${rules.broker}: ` : '';
  if (bytes > limit)
    fail(
      `${who}it is ${bytes} bytes in UTF-8, more than the ${limit} allowed`,
      `use a name of at most ${limit} bytes (non-ASCII characters take 2–4 bytes each)`,
    );
  if (rules.allowed) {
    for (const ch of s) {
      if (!rules.allowed.pattern.test(ch))
        fail(
          `${who}it may only contain ${rules.allowed.description} (found ${JSON.stringify(ch)})`,
          'rename the topic',
        );
    }
  }
  const broken = rules.check?.(s);
  if (broken !== undefined) fail(`${who}${broken}`, 'rename the topic');
}
