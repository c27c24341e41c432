// Shared helpers of the SQS integration tests: the ElasticMQ endpoint from
// global setup (or a skip reason), unique names, a raw SDK client.
import { inject } from 'vitest';
import { SQSClient } from '@aws-sdk/client-sqs';
import { brokersRequired } from '@partita/testing';
import type { ElasticMQTestServer } from '../global-setup.js';

const server = inject('elasticmq' as never) as ElasticMQTestServer | undefined;

/** Why SQS tests skip here, or undefined when a server is there. Throws when brokers are required. */
export const sqsSkipReason: string | undefined = (() => {
  if (server?.endpoint) return undefined;
  const reason = server?.skip ?? 'global setup provided no ElasticMQ';
  if (brokersRequired()) throw new Error(`PARTITA_REQUIRE_BROKERS is set but ${reason}`);
  console.warn(`[sqs tests] skipped: ${reason}`);
  return reason;
})();

export const endpoint: string = server?.endpoint ?? 'http://127.0.0.1:9324';
/** tools/elasticmq started the shared server. */
export const sqsControllable = server?.controllable === true;

/** Dummy credentials: ElasticMQ checks none. Never real ones, never logged. */
export const dummyCredentials = { accessKeyId: 'partita-test', secretAccessKey: 'partita-test-secret' };
export const REGION = 'elasticmq';

let n = 0;
/** A name unique to this run, valid as a topic and as an SQS queue name part. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36)}-${++n}`;
}

/** A plain SDK client on `at` (default: the shared server). */
export function rawClient(at: string = endpoint): SQSClient {
  return new SQSClient({ endpoint: at, region: REGION, credentials: dummyCredentials, maxAttempts: 2 });
}
