import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConnectionError } from '@partita/core';
import { mapSqsError } from '../errors/map-sqs-error.js';

interface Pending {
  readonly receipt: string;
  resolve(): void;
  reject(err: unknown): void;
}

const BATCH = 10;

/**
 * Gathers deletes of one queue into DeleteMessageBatch requests of up to 10:
 * a full batch goes at once, the rest at the end of the event-loop turn.
 * `delete` resolves when SQS confirmed every one of its receipts.
 */
export class DeleteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly what: string,
    private readonly secrets: readonly string[],
  ) {}

  delete(receipts: readonly string[]): Promise<void> {
    const done = receipts.map(
      (receipt) => new Promise<void>((resolve, reject) => this.pending.push({ receipt, resolve, reject })),
    );
    while (this.pending.length >= BATCH) this.send(this.pending.splice(0, BATCH));
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        while (this.pending.length > 0) this.send(this.pending.splice(0, BATCH));
      });
    }
    return Promise.all(done).then(() => undefined);
  }

  /** Send what is pending now and wait for every request in flight. */
  async flush(): Promise<void> {
    while (this.pending.length > 0) this.send(this.pending.splice(0, BATCH));
    await Promise.allSettled([...this.inFlight]);
  }

  private send(batch: Pending[]): void {
    const p = this.client
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((e, i) => ({ Id: `d${i}`, ReceiptHandle: e.receipt })),
        }),
      )
      .then(
        (res) => {
          const failed = new Map((res.Failed ?? []).map((f) => [f.Id, f]));
          batch.forEach((e, i) => {
            const f = failed.get(`d${i}`);
            if (f)
              e.reject(
                new ConnectionError(`${this.what}: SQS did not delete a message (${f.Code}: ${f.Message ?? ''})`),
              );
            else e.resolve();
          });
        },
        (err: unknown) => {
          const mapped = mapSqsError(err, this.what, this.secrets);
          for (const e of batch) e.reject(mapped);
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
