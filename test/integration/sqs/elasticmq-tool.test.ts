// tools/elasticmq: a server of its own (port 9334, so the shared one on 9324
// is never disturbed) keeps queues and messages across kill -9 and restart.
import { afterAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { isElasticMQ, startElasticMQ, type ElasticMQHandle } from '../../../tools/elasticmq/elasticmq.mjs';
import { endpoint, rawClient, sqsControllable, sqsSkipReason, unique } from './sqs-test-env.js';

const PORT = 9334;

describe.skipIf(sqsSkipReason !== undefined || !sqsControllable)('tools/elasticmq', () => {
  let own: ElasticMQHandle | undefined;
  afterAll(async () => {
    await own?.stop();
  });

  it('the shared server answers SQS requests', async () => {
    expect(await isElasticMQ(endpoint)).toBe(true);
    const second = await startElasticMQ();
    expect(second.owned, 'a second start reuses the running server').toBe(false);
    await second.stop();
    expect(await isElasticMQ(endpoint), 'stop() of a reused server leaves it running').toBe(true);
  });

  it('keeps queues and messages across kill -9 and restart', async () => {
    own = await startElasticMQ({ port: PORT });
    expect(own.owned).toBe(true);
    const client = rawClient(own.endpoint);
    const name = unique('tool');
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'survives' }));
    const pid = own.pid;
    own.kill();
    expect(await isElasticMQ(own.endpoint, 1000)).toBe(false);
    await own.restart();
    expect(own.pid).not.toBe(pid);
    const again = await client.send(new GetQueueUrlCommand({ QueueName: name }));
    expect(again.QueueUrl).toBe(QueueUrl);
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['survives']);
    client.destroy();
    await own.stop();
    expect(await isElasticMQ(own.endpoint, 1000)).toBe(false);
    own = undefined;
  });
});
