import type { OutboundRecord } from '@partita/core';
import { createConsoleLogger } from '@partita/core';

/** The value every latency message carries: `t`, the publisher's `performance.now()` when it published it. */
export interface Stamp {
  readonly t: number;
}

/** Called at handler start with the decoded value, on either side. */
export type StampHandler = (value: Stamp) => void;

/** One consumer running on a fresh topic, and the publisher that feeds it. */
export interface LatencyPhase {
  readonly topic: string;
  /** Resolves when the broker confirmed the records (the transport's `publish`). */
  publish(records: readonly OutboundRecord[]): Promise<void>;
  /** Stop the consumer, delete what the phase created. */
  close(): Promise<void>;
}

/**
 * A transport under test. Each phase gets a fresh topic (and group), so a
 * phase never starts on another phase's backlog; its consumer is running
 * (subscribed, lanes assigned) when `phase` resolves. Both sides publish with
 * the same producer (partita's transport for that broker): what differs is
 * only the consuming side.
 */
export interface LatencyTarget {
  readonly name: string;
  /** Records per publish while saturating, and how far the publisher may run ahead of the handler. */
  readonly saturation: { readonly batch: number; readonly window: number };
  /** Throws (with the reason) when the broker is not reachable. */
  probe(): Promise<void>;
  phase(side: 'raw' | 'partita', handle: StampHandler): Promise<LatencyPhase>;
  /** Close what the target keeps across phases. */
  close(): Promise<void>;
}

export const quiet = createConsoleLogger({ level: 'silent' });
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const runId = (): string => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const decoder = new TextDecoder();
/** The raw loops decode the value's bytes as partita's JSON codec does. */
export const decodeStamp = (bytes: Uint8Array | string): Stamp =>
  JSON.parse(typeof bytes === 'string' ? bytes : decoder.decode(bytes)) as Stamp;
