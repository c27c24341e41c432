import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ENVELOPE_ATTRIBUTE } from '../envelope/sqs-envelope.js';
import { mapSqsError } from '../errors/map-sqs-error.js';

/** How long browsed messages stay hidden if the browsing process dies before handing them back. */
const BROWSE_VISIBILITY_SECONDS = 30;

/** What a browse needs. */
export interface BrowseRequest {
  readonly client: SQSClient;
  readonly url: string;
  readonly name: string;
  readonly secrets: readonly string[];
  /** Receive until this many messages (or the queue has no more to give). */
  readonly max: number;
  /** Stop early once this holds for the messages received so far. */
  readonly enough?: (received: readonly SqsMessage[]) => boolean;
  /** Messages to delete instead of handing back (selective purge). */
  readonly remove?: (m: SqsMessage) => boolean;
}

/**
 * Receive messages of a queue (visible ones only; 10 per request) and hand
 * every one back before resolving (`ChangeMessageVisibility` to 0), except
 * those `remove` picks, which are deleted. SQS has no peek: each browsed
 * message's `ApproximateReceiveCount` goes up by one, and while the browse
 * runs the messages are invisible to consumers. FIFO: SQS hands out no later
 * message of a message group while one is held, so at most 10 per group.
 * The messages come oldest first (FIFO: `SequenceNumber`; standard: `SentTimestamp`).
 */
export async function browseQueue(r: BrowseRequest): Promise<{ messages: SqsMessage[]; removed: number }> {
  const held = new Map<string, SqsMessage>();
  const doomed: SqsMessage[] = [];
  let empty = 0;
  try {
    while (held.size + doomed.length < r.max && !(r.enough?.([...held.values()]) ?? false)) {
      const res = await r.client.send(
        new ReceiveMessageCommand({
          QueueUrl: r.url,
          MaxNumberOfMessages: Math.min(10, r.max - held.size - doomed.length),
          // An empty short poll may come from a sample of SQS's servers: one more try with a short wait.
          WaitTimeSeconds: empty === 0 ? 0 : 1,
          VisibilityTimeout: BROWSE_VISIBILITY_SECONDS,
          MessageAttributeNames: [ENVELOPE_ATTRIBUTE, 'All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'SequenceNumber'],
          AttributeNames: ['All'],
        }),
      );
      const got = (res.Messages ?? []).filter((m) => m.MessageId !== undefined && !held.has(m.MessageId));
      if (got.length === 0) {
        if (++empty >= 2) break;
        continue;
      }
      empty = 0;
      for (const m of got) {
        if (r.remove?.(m)) doomed.push(m);
        else held.set(m.MessageId!, m);
      }
    }
  } catch (err) {
    throw mapSqsError(err, `browse queue "${r.name}"`, r.secrets);
  } finally {
    await settle(r, [...held.values()], doomed);
  }
  return { messages: [...held.values()].sort(oldestFirst), removed: doomed.length };
}

/** Hand back what is held, delete what is doomed; 10 per request. */
async function settle(r: BrowseRequest, back: readonly SqsMessage[], doomed: readonly SqsMessage[]): Promise<void> {
  const failures: string[] = [];
  for (let i = 0; i < back.length; i += 10) {
    const res = await r.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: r.url,
        Entries: back
          .slice(i, i + 10)
          .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    for (const f of res.Failed ?? []) failures.push(`hand back: ${f.Message ?? f.Code ?? 'failed'}`);
  }
  for (let i = 0; i < doomed.length; i += 10) {
    const res = await r.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: r.url,
        Entries: doomed.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    for (const f of res.Failed ?? []) failures.push(`delete: ${f.Message ?? f.Code ?? 'failed'}`);
  }
  if (failures.length > 0)
    throw mapSqsError(
      new Error(`${failures.length} failed (${failures[0]}); they come back after ${BROWSE_VISIBILITY_SECONDS} s`),
      `browse queue "${r.name}"`,
      r.secrets,
    );
}

function oldestFirst(a: SqsMessage, b: SqsMessage): number {
  const sa = a.Attributes?.SequenceNumber;
  const sb = b.Attributes?.SequenceNumber;
  if (sa !== undefined && sb !== undefined) return sa.length - sb.length || (sa < sb ? -1 : sa > sb ? 1 : 0);
  return Number(a.Attributes?.SentTimestamp ?? 0) - Number(b.Attributes?.SentTimestamp ?? 0);
}
