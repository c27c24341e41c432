import { hasAdmin, transportFromEnv, type Transport } from '@partita/core';
import { CliError } from '../../cli/cli-error.js';
import { connectorLogger } from '../../cli/connector-logger.js';
import { cliVersion, installedVersion } from '../../cli/package-version.js';
import type { Connection } from '../../cli/resolve-connection.js';
import { withTimeout } from '../../cli/with-timeout.js';
import type { Check } from './check.js';

type TransportConnection = Extract<Connection, { kind: 'transport' }>;

/** Words of brokers' answers to bad credentials (SASL, NATS, AMQP, Redis, AWS). */
const AUTH =
  /sasl|authenticat|authoriz|access_refused|access refused|noauth|wrongpass|invalid password|credential|signature|security token|permission/i;

/** Where each connector's connection is set, for the fixes. */
const WHERE: Record<string, string> = {
  kafka: '--brokers / PARTITA_KAFKA_BROKERS (and PARTITA_KAFKA_SASL_*, PARTITA_KAFKA_SSL)',
  nats: '--servers / PARTITA_NATS_SERVERS (and PARTITA_NATS_TOKEN, _USER/_PASS or _CREDS)',
  redis: '--redis-url / PARTITA_REDIS_URL (and PARTITA_REDIS_PASSWORD)',
  rabbitmq: '--rabbitmq-url / PARTITA_RABBITMQ_URL (user:password in the URL)',
  sqs: '--sqs-endpoint / PARTITA_SQS_ENDPOINT, PARTITA_SQS_REGION and the AWS credentials',
};

/** The connector: installed, versions, options valid, connect, credentials, health, admin permissions. */
export async function checkBroker(c: TransportConnection, timeoutMs: number, add: (c: Check) => void): Promise<void> {
  const pkg = `@partita/${c.transport}`;
  const version = installedVersion(pkg);
  if (version === undefined) {
    add({
      name: 'package',
      status: 'fail',
      detail: `${pkg} is not installed`,
      fix: `npm install ${pkg} (next to @partita/cli)`,
    });
    return;
  }
  const core = installedVersion('@partita/core');
  const cli = cliVersion();
  const mismatch = core !== undefined && [version, cli].some((v) => minor(v) !== minor(core));
  add({
    name: 'versions',
    status: mismatch ? 'warn' : 'ok',
    detail: `@partita/cli ${cli}, @partita/core ${core ?? '?'}, ${pkg} ${version}`,
    ...(mismatch ? { fix: 'install matching versions of the @partita packages' } : {}),
  });
  let transport: Transport;
  try {
    transport = await transportFromEnv(c.variables, (s) => import(s));
    transport.attach?.({ logger: connectorLogger(c.variables) });
  } catch (err) {
    add({
      name: 'options',
      status: 'fail',
      detail: (err as Error).message,
      fix: 'fix the flag, variable or config key it names',
    });
    return;
  }
  add({ name: 'options', status: 'ok', detail: `valid (${Object.keys(c.variables).length} PARTITA_* settings)` });
  try {
    const fix = `is the broker running and reachable? check ${WHERE[c.transport] ?? 'the connection settings'}`;
    try {
      await withTimeout(transport.connect(), timeoutMs, c.transport, fix);
    } catch (err) {
      const message = (err as Error).message;
      if (!(err instanceof CliError) && AUTH.test(message))
        add({
          name: 'credentials',
          status: 'fail',
          detail: message,
          fix: `check the credentials in ${WHERE[c.transport]}`,
        });
      else add({ name: 'connect', status: 'fail', detail: message, fix });
      return;
    }
    add({ name: 'connect', status: 'ok', detail: `connected to ${c.transport}` });
    const secured =
      Object.keys(c.variables).some((v) => /PASS|TOKEN|CREDS|SASL|USER/.test(v)) ||
      Object.values(c.variables).some((v) => /\/\/[^/@\s]+@/.test(v));
    add({ name: 'credentials', status: secured ? 'ok' : 'info', detail: secured ? 'accepted' : 'none configured' });
    const health = await withTimeout(transport.health(), timeoutMs, `${c.transport} health`, fix).catch(
      (err: Error) => ({ status: 'down' as const, reasons: [err.message] }),
    );
    add(
      health.status === 'ok'
        ? { name: 'health', status: 'ok', detail: 'ok' }
        : {
            name: 'health',
            status: health.status === 'down' ? 'fail' : 'warn',
            detail: `${health.status}: ${health.reasons.join('; ')}`,
            fix,
          },
    );
    if (!hasAdmin(transport)) {
      add({ name: 'admin', status: 'fail', detail: `${pkg} ${version} has no admin side`, fix: `upgrade ${pkg}` });
      return;
    }
    const readme = `grant what the ${pkg} README lists under "Admin"`;
    try {
      const topics = await withTimeout(transport.admin.topics(), timeoutMs, 'listing topics', fix);
      add({ name: 'list topics', status: 'ok', detail: `${topics.length} topic${topics.length === 1 ? '' : 's'}` });
    } catch (err) {
      add({ name: 'list topics', status: 'fail', detail: (err as Error).message, fix: readme });
    }
    try {
      const lag = await withTimeout(transport.admin.lag(), timeoutMs, 'reading lag', fix);
      add({ name: 'read lag', status: 'ok', detail: `${new Set(lag.map((l) => l.group)).size} group(s)` });
    } catch (err) {
      add({ name: 'read lag', status: 'fail', detail: (err as Error).message, fix: readme });
    }
  } finally {
    await withTimeout(transport.close(), 5000, 'close', '').catch(() => undefined);
  }
}

const minor = (v: string): string => v.split('.').slice(0, 2).join('.');
