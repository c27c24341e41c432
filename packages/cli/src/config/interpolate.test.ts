import { describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { interpolate, interpolateDeep } from './interpolate.js';

describe('interpolate', () => {
  const env = { HOST: 'kafka-1', EMPTY: '', PORT: '9092' };

  it('replaces ${NAME} and ${NAME:-default}, the default when unset or empty', () => {
    expect(interpolate('${HOST}:${PORT}', env, 'f')).toBe('kafka-1:9092');
    expect(interpolate('${MISSING:-127.0.0.1}:${PORT:-1}', env, 'f')).toBe('127.0.0.1:9092');
    expect(interpolate('${EMPTY:-fallback}', env, 'f')).toBe('fallback');
    expect(interpolate('${MISSING:-}', env, 'f')).toBe('');
    expect(interpolate('a ${MISSING:-b:c} d', env, 'f')).toBe('a b:c d');
  });

  it('keeps $${ as a literal ${', () => {
    expect(interpolate('cost: $${HOST}', env, 'f')).toBe('cost: ${HOST}');
  });

  it('refuses an unset variable without default, naming it and where it was used', () => {
    expect(() => interpolate('${KAFKA_PASSWORD}', env, 'partita.config.yaml (kafka.sasl.password)')).toThrow(
      ConfigError,
    );
    expect(() => interpolate('${KAFKA_PASSWORD}', env, 'partita.config.yaml (kafka.sasl.password)')).toThrow(
      /partita\.config\.yaml \(kafka\.sasl\.password\): environment variable KAFKA_PASSWORD is not set; set it, or give a default as \$\{KAFKA_PASSWORD:-value\}/,
    );
  });

  it('refuses a reference that is not a variable name', () => {
    expect(() => interpolate('${1BAD}', env, 'f')).toThrow(/is not a variable reference/);
    expect(() => interpolate('${}', env, 'f')).toThrow(/is not a variable reference/);
  });

  it('walks a parsed document, naming the key path in errors', () => {
    expect(interpolateDeep({ kafka: { brokers: ['${HOST}:1', 'b:2'] }, n: 3 }, env, 'file')).toEqual({
      kafka: { brokers: ['kafka-1:1', 'b:2'] },
      n: 3,
    });
    expect(() => interpolateDeep({ nats: { token: '${NOPE}' } }, env, 'file')).toThrow(/^file \(nats\.token\):/);
  });
});
