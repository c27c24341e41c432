let counter = 0;

/**
 * A name no other run (or test) uses: `${prefix}-${time}${random}${counter}`,
 * lower-case letters, digits and `-` only, so it is a valid Kafka topic, NATS
 * stream/subject token, RabbitMQ queue and Redis key on every broker.
 * Invalid characters of `prefix` become `-`.
 */
export function uniqueName(prefix = 'partita', random: () => number = Math.random): string {
  if (typeof prefix !== 'string') throw new TypeError('uniqueName: prefix must be a string');
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'partita';
  counter = (counter + 1) % 1_296;
  const rand = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  return `${clean}-${Date.now().toString(36)}${rand}${counter.toString(36).padStart(2, '0')}`;
}
