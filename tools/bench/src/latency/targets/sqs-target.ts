import {
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { sqsTransport, topicQueuePrefix, type SqsTransportOptions } from '@partita/sqs';
import { decodeStamp, runId, type LatencyPhase, type LatencyTarget } from '../latency-target.js';
import { partitaPhase } from './partita-phase.js';

/** Receives in flight on either side (partita: maxInFlight 100 = 10 receives of 10), as in the `sqs` scenario. */
const LOOPS = 10;

/**
 * SQS at PARTITA_SQS_ENDPOINT (default: ElasticMQ of `npm run elasticmq -- start`), a standard queue
 * per phase. raw: 10 SDK receive loops (10 messages, 1 s long poll), decode and handle each, one
 * DeleteMessageBatch per receive (the `sqs` scenario's baseline); partita: `sqsTransport`, ordering
 * 'none', maxInFlight 100.
 */
export function sqsTarget(): LatencyTarget {
  const endpoint = process.env.PARTITA_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
  const options: SqsTransportOptions = {
    endpoint,
    region: process.env.PARTITA_SQS_REGION ?? 'elasticmq',
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' } }),
    waitTimeSeconds: 1,
  };
  const client = new SQSClient({
    endpoint,
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    useQueueUrlAsEndpoint: false,
  });
  const producer = sqsTransport(options);
  const cleanup = async (topic: string): Promise<void> => {
    for (const t of [topic, `${topic}.dlq`]) {
      const res = await client.send(new ListQueuesCommand({ QueueNamePrefix: topicQueuePrefix('', t) }));
      for (const QueueUrl of res.QueueUrls ?? [])
        await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => 0);
    }
  };
  return {
    name: 'sqs',
    saturation: { batch: 10, window: 500 },
    async probe() {
      await client.send(new ListQueuesCommand({ MaxResults: 1 }));
      await producer.connect();
    },
    async phase(side, handle): Promise<LatencyPhase> {
      const topic = `bench-lat-${runId()}`;
      const group = `lat-${side}`;
      await producer.createGroupQueue(topic, group, { ordering: 'none' });
      const publish = producer.publish.bind(producer);
      if (side === 'raw') {
        const name = `${topicQueuePrefix('', topic)}${group}`;
        const url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
        let running = true;
        const loop = async (): Promise<void> => {
          while (running) {
            const res = await client.send(
              new ReceiveMessageCommand({
                QueueUrl: url,
                MaxNumberOfMessages: 10,
                WaitTimeSeconds: 1,
                MessageAttributeNames: ['All'],
                MessageSystemAttributeNames: ['ApproximateReceiveCount'],
              }),
            );
            const msgs = res.Messages ?? [];
            if (msgs.length === 0) continue;
            for (const m of msgs) handle(decodeStamp(m.Body ?? 'null'));
            await client.send(
              new DeleteMessageBatchCommand({
                QueueUrl: url,
                Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
              }),
            );
          }
        };
        const loops = Promise.all(Array.from({ length: LOOPS }, loop));
        return {
          topic,
          publish,
          async close() {
            running = false;
            await loops;
            await cleanup(topic);
          },
        };
      }
      return partitaPhase({
        transport: sqsTransport(options),
        topic,
        group,
        handle,
        publish,
        handler: { ordering: 'none', maxInFlight: 100 },
        cleanup: () => cleanup(topic),
      });
    },
    async close() {
      await producer.close();
      client.destroy();
    },
  };
}
