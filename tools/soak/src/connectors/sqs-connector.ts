import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsTransport, topicQueuePrefix } from '@partita/sqs';
import type { SoakConnector } from './soak-connector.js';

export const SQS_ENDPOINT_ENV = 'PARTITA_SQS_ENDPOINT';
const DEFAULT_ENDPOINT = 'http://127.0.0.1:9324';
/** ElasticMQ checks no credentials; real ones (AWS_ACCESS_KEY_ID, ...) win when set. */
/**
 * Visibility timeout of the members. The handler timeout is 10 s (not the 2 s
 * of NATS): on this shared 2-core machine a member's event loop stalls for
 * seconds, a 2 s timeout then fires on handlers that finish late, and the
 * retry in place records the message twice in the ledger (measured: 55
 * duplicates, all by the same member at attempt 2, none from SQS).
 */
const VISIBILITY_SECONDS = 30;
const LOCAL_CREDENTIALS = { accessKeyId: 'partita-soak', secretAccessKey: 'partita-soak-secret' };

/**
 * SQS (ElasticMQ from tools/elasticmq by default): members are processes
 * sharing one FIFO group queue (ordering `key`, MessageGroupId = key). SQS
 * delivers no later message of a key while one is in flight, also to other
 * members, so key order holds across members. The visibility timeout is 30 s
 * (see VISIBILITY_SECONDS): a killed member's messages come back after that.
 */
export const sqsConnector: SoakConnector = {
  name: 'sqs',
  members: 'processes',
  rebalanceDuplicates: false,
  keyOrderAcrossMembers: true,
  handler: { maxInFlight: 32, timeoutMs: 10_000 },
  async open(names, env) {
    const endpoint = env[SQS_ENDPOINT_ENV] ?? DEFAULT_ENDPOINT;
    const credentials = env.AWS_ACCESS_KEY_ID ? undefined : LOCAL_CREDENTIALS;
    const region = env.PARTITA_SQS_REGION ?? env.AWS_REGION ?? 'elasticmq';
    const options = { endpoint, region, ...(credentials ? { credentials } : {}) };
    // The group queue exists before the producer starts: a publish reaches only existing group queues.
    const provisioner = sqsTransport(options);
    try {
      await provisioner.createGroupQueue(names.topic, names.group, { ordering: 'key' });
    } finally {
      await provisioner.close();
    }
    return {
      env: { [SQS_ENDPOINT_ENV]: endpoint },
      transport: () => sqsTransport({ ...options, waitTimeSeconds: 1, visibilityTimeoutSeconds: VISIBILITY_SECONDS }),
      async close() {
        const client = new SQSClient(options);
        try {
          for (const topic of [names.topic, `${names.topic}.dlq`]) {
            const res = await client.send(new ListQueuesCommand({ QueueNamePrefix: topicQueuePrefix('', topic) }));
            for (const QueueUrl of res.QueueUrls ?? [])
              await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
          }
        } finally {
          client.destroy();
        }
      },
    };
  },
};
