import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { loadConfig, parseConfig } from './load-config.js';

describe('loadConfig', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'partita-cli-config-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('maps a YAML file to the PARTITA_* variables of its connector sections', async () => {
    await writeFile(
      join(dir, 'partita.config.yaml'),
      [
        'transport: kafka',
        'dlqSuffix: .dead',
        'kafka:',
        '  brokers: ["${K1:-127.0.0.1:9092}", "10.0.0.2:9092"]',
        '  clientId: ops',
        '  ssl: true',
        '  sasl: { mechanism: scram-sha-512, username: ops, password: "${KAFKA_PASSWORD}" }',
        'rabbitmq:',
        '  tls: { caFile: /etc/ca.pem }',
        'admin:',
        '  url: http://127.0.0.1:9464',
        '  token: ${PARTITA_ADMIN_TOKEN:-}',
      ].join('\n'),
    );
    const config = await loadConfig({ cwd: dir, env: { KAFKA_PASSWORD: 's3cret' } });
    expect(config).toEqual({
      path: join(dir, 'partita.config.yaml'),
      transport: 'kafka',
      variables: {
        PARTITA_DLQ_SUFFIX: '.dead',
        PARTITA_KAFKA_BROKERS: '127.0.0.1:9092,10.0.0.2:9092',
        PARTITA_KAFKA_CLIENT_ID: 'ops',
        PARTITA_KAFKA_SSL: 'true',
        PARTITA_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        PARTITA_KAFKA_SASL_USERNAME: 'ops',
        PARTITA_KAFKA_SASL_PASSWORD: 's3cret',
        PARTITA_RABBITMQ_TLS_CA_FILE: '/etc/ca.pem',
      },
      admin: { url: 'http://127.0.0.1:9464' },
    });
  });

  it('reads JSON, finds partita.config.json when there is no YAML, and takes PARTITA_CONFIG', async () => {
    await writeFile(
      join(dir, 'partita.config.json'),
      JSON.stringify({ transport: 'nats', nats: { servers: ['nats://a:4222'] } }),
    );
    expect((await loadConfig({ cwd: dir, env: {} })).variables).toEqual({ PARTITA_NATS_SERVERS: 'nats://a:4222' });
    await writeFile(join(dir, 'other.yaml'), 'transport: sqs\nsqs: { endpoint: "http://127.0.0.1:9324" }\n');
    const viaEnv = await loadConfig({ cwd: dir, env: { PARTITA_CONFIG: 'other.yaml' } });
    expect(viaEnv.transport).toBe('sqs');
    expect(viaEnv.path).toBe(join(dir, 'other.yaml'));
  });

  it('is empty without a file, and names a missing --config file', async () => {
    expect(await loadConfig({ cwd: dir, env: {} })).toEqual({
      path: undefined,
      transport: undefined,
      variables: {},
      admin: {},
    });
    await expect(loadConfig({ cwd: dir, env: {}, path: 'nope.yaml' })).rejects.toThrow(
      /nope\.yaml does not exist; check --config/,
    );
  });

  it.each([
    ['kafak: {}', /unknown key "kafak"; expected one of transport, dlqSuffix, admin, kafka/],
    ['transport: kafak', /\(transport\): expected one of memory, kafka, nats/],
    [
      'kafka: { brokerz: x }',
      /\(kafka\.brokerz\): unknown option; "kafka" takes brokers, clientId, ssl, saslMechanism/,
    ],
    ['kafka: [a]', /"kafka" must be a mapping/],
    ['admin: { user: x }', /\(admin\.user\): unknown option; admin takes url and token/],
    ['nats: { servers: [{ a: 1 }] }', /\(nats\.servers\): expected a string, number, boolean or a list of strings/],
    ['- just\n- a list', /expected a mapping/],
  ])('refuses %j with a ConfigError naming the key and the fix', (text, message) => {
    expect(() => parseConfig(text, 'partita.config.yaml', {})).toThrow(ConfigError);
    expect(() => parseConfig(text, 'partita.config.yaml', {})).toThrow(message);
  });

  it('does not quote the file when it does not parse (a line may hold a secret)', () => {
    const bad = 'kafka:\n  sasl: { password: "hunter2" \n';
    expect(() => parseConfig(bad, 'p.yaml', {})).toThrow(/p\.yaml is not valid YAML/);
    expect(() => parseConfig(bad, 'p.yaml', {})).not.toThrow(/hunter2/);
    expect(() => parseConfig('{"token": "hunter2"', 'p.json', {})).toThrow(/p\.json is not valid JSON/);
    expect(() => parseConfig('{"token": hunter2}', 'p.json', {})).not.toThrow(/hunter2/);
  });
});
