import { afterAll } from 'vitest';
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { adminConformance } from '@partita/testing/vitest';
import { testTransport } from './sqs-helpers.js';
import { rawClient, sqsSkipReason } from './sqs-test-env.js';

// A prefix of this file's own: the admin lists topics from every queue under it.
const queuePrefix = `adm${Math.floor(Math.random() * 36 ** 6).toString(36)}-`;

afterAll(async () => {
  if (sqsSkipReason !== undefined) return;
  const client = rawClient();
  try {
    const res = await client.send(new ListQueuesCommand({ QueueNamePrefix: queuePrefix }));
    await Promise.all(
      (res.QueueUrls ?? []).map((QueueUrl) => client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)),
    );
  } finally {
    client.destroy();
  }
});

// A stopped group's cancelled long poll may still be handed the records published next (SQS
// cannot cancel a poll; packages/sqs/README.md): a short visibility brings them back in 3 s, not 30.
adminConformance('sqs', () => testTransport({ queuePrefix, visibilityTimeoutSeconds: 3 }), {
  available: () => sqsSkipReason ?? true,
});
