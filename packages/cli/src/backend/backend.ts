import type { BrowsedRecord, DeadLetterFilter, GroupLag, ReadOptions, RedriveReport, TopicInfo } from '@partita/core';

/** A record the CLI publishes (`partita produce`). */
export interface RecordToPublish {
  readonly key?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: Uint8Array;
  readonly partition?: number;
}

export interface RedriveRequest {
  readonly topic: string;
  readonly ids?: readonly string[];
  readonly filter?: DeadLetterFilter;
  readonly dryRun: boolean;
  readonly ratePerSec?: number;
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

/** What `GET /api/app` answers (the admin HTTP API). */
export interface AppView {
  readonly state: string;
  readonly transport: string;
  readonly lanes: readonly LaneView[];
  readonly metrics?: Readonly<Record<string, unknown>>;
  readonly executor?: Readonly<Record<string, unknown>> | null;
  readonly health?: { readonly status?: string; readonly reasons?: readonly string[] } & Record<string, unknown>;
}

export interface LaneView {
  readonly handler: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly state: string;
  readonly inFlight?: number;
  readonly buffered?: number;
  readonly committed?: string;
  readonly lag?: number;
  readonly received?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  readonly deadLettered?: number;
  readonly pauseReason?: string;
  readonly machine?: Readonly<Record<string, unknown>>;
}

/**
 * Where the commands go: a broker through its connector (`transport.admin`
 * and `publish`), or a running app's admin HTTP endpoint (`--url`), which is
 * how the embedded memory broker is reached. Every command works on both,
 * except `inspect` (an app only).
 */
export interface Backend {
  /** `kafka`, `nats`, … or the admin URL. */
  readonly describe: string;
  topics(): Promise<readonly TopicInfo[]>;
  lag(group?: string): Promise<readonly GroupLag[]>;
  read(topic: string, options: ReadOptions): Promise<readonly BrowsedRecord[]>;
  publish(topic: string, records: readonly RecordToPublish[]): Promise<number>;
  redrive(request: RedriveRequest): Promise<RedriveReport>;
  purge(topic: string, positions?: readonly string[]): Promise<{ readonly removed: number }>;
  app(): Promise<AppView>;
  close(): Promise<void>;
}
