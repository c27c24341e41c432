// The admin conformance kit (@partita/testing/vitest) on a real Kafka broker.
import { adminConformance } from '@partita/testing/vitest';
import { kafkaSkipReason, testTransport } from './kafka-test-env.js';

adminConformance('kafka', () => testTransport({ partitions: 3 }), { available: () => kafkaSkipReason ?? true });
