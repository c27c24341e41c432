import { describe, expect, it } from 'vitest';
import { ConfigError } from '@partita/core';
import { createTransportFromConfig, transportVariables } from './create-transport-from-config.js';
import { parseConfig } from './load-config.js';

describe('createTransportFromConfig', () => {
  const config = parseConfig('transport: kafka\nkafka: { brokers: "file:9092", clientId: ops }\n', 'p.yaml', {});

  it('takes PARTITA_* from the environment over the file', () => {
    expect(transportVariables(config, { PARTITA_KAFKA_BROKERS: 'env:9092', HOME: '/root', PARTITA_EMPTY: '' })).toEqual(
      {
        PARTITA_TRANSPORT: 'kafka',
        PARTITA_KAFKA_BROKERS: 'env:9092',
        PARTITA_KAFKA_CLIENT_ID: 'ops',
      },
    );
  });

  it('builds the connector with the variables, loading its package', async () => {
    let seen: Record<string, string> | undefined;
    const fake = { name: 'fake' };
    const t = await createTransportFromConfig(config, {
      env: {},
      load: async (specifier) => {
        expect(specifier).toBe('@partita/kafka');
        return { transportFromEnv: (env: Record<string, string>) => ((seen = env), fake) };
      },
    });
    expect(t).toBe(fake);
    expect(seen).toMatchObject({ PARTITA_TRANSPORT: 'kafka', PARTITA_KAFKA_BROKERS: 'file:9092' });
  });

  it('names the package to install when the connector is missing', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package '@partita/kafka'"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(createTransportFromConfig(config, { env: {}, load: missing })).rejects.toThrow(ConfigError);
    await expect(createTransportFromConfig(config, { env: {}, load: missing })).rejects.toThrow(
      'npm install @partita/kafka',
    );
  });

  it('builds a real transport (the embedded broker) from a file', async () => {
    const t = await createTransportFromConfig(
      parseConfig('transport: memory\nmemory: { partitions: 3 }\n', 'p.yaml', {}),
      {
        env: {},
      },
    );
    expect(t.name).toBe('memory');
    await t.close();
  });
});
