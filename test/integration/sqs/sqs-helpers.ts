// Transports and queue cleanup for the SQS integration tests.
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { sqsTransport, topicQueuePrefix, type SqsTransport, type SqsTransportOptions } from '@partita/sqs';
import { dummyCredentials, endpoint, rawClient, REGION } from './sqs-test-env.js';

/** A transport on the shared ElasticMQ (or `at`), short long polls so stops are quick. */
export function testTransport(overrides: SqsTransportOptions = {}, at: string = endpoint): SqsTransport {
  return sqsTransport({
    endpoint: at,
    region: REGION,
    credentials: dummyCredentials,
    waitTimeSeconds: 2,
    ...overrides,
  });
}

/** Delete every queue of these topics (each group's, and dead-letter archives). */
export async function deleteQueuesOf(topics: readonly string[], at: string = endpoint): Promise<void> {
  const client = rawClient(at);
  try {
    for (const topic of topics) {
      const res = await client.send(new ListQueuesCommand({ QueueNamePrefix: topicQueuePrefix('', topic) }));
      await Promise.all(
        (res.QueueUrls ?? []).map((QueueUrl) =>
          client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined),
        ),
      );
    }
  } finally {
    client.destroy();
  }
}
