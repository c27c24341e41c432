import type { Consumer } from 'kafkajs';
import type { Logger } from '@partita/core';
import type { KafkaLane } from './kafka-lane.js';

/**
 * Pause, resume and seek on a kafkajs consumer, per lane. kafkajs throws from
 * these while its consumer group is not initialised (before `run`, after a
 * crash): such a call is skipped and logged at debug level, never thrown.
 */
export class ConsumerControl {
  constructor(
    private readonly consumer: Consumer,
    private readonly logger: Logger,
  ) {}

  pause(lanes: readonly KafkaLane[]): void {
    if (lanes.length === 0) return;
    this.safe('pause', (c) => c.pause(lanes.map((l) => ({ topic: l.kafkaTopic, partitions: [l.partition] }))));
  }

  resume(lane: KafkaLane): void {
    this.safe('resume', (c) => c.resume([{ topic: lane.kafkaTopic, partitions: [lane.partition] }]));
  }

  seek(topic: string, partition: number, offset: string): void {
    this.safe('seek', (c) => c.seek({ topic, partition, offset }));
  }

  private safe(what: string, fn: (c: Consumer) => void): void {
    try {
      fn(this.consumer);
    } catch (err) {
      this.logger.debug({ err }, `kafka consumer ${what} skipped`);
    }
  }
}
