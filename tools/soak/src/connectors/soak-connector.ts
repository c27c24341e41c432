import type { Transport } from '@partita/core';

/** Names shared by the producer and every member of one soak run. */
export interface SoakNames {
  readonly topic: string;
  readonly group: string;
}

/** Handler settings every member uses (the in-flight window depends on them). */
export interface SoakHandlerSettings {
  /** Records in flight per lane (`defineHandler({ maxInFlight })`). */
  readonly maxInFlight: number;
  /** Handler timeout; NATS derives `ack_wait` from it (the redelivery delay after a kill -9). */
  readonly timeoutMs: number;
}

/**
 * One broker for the soak, opened once per process (the runner, and each
 * member process). Adding a connector is one file exporting one of these and a
 * line in `connectors.ts`.
 */
export interface SoakConnector {
  readonly name: string;
  /**
   * `processes`: each member is a child process (kill -9 is SIGKILL).
   * `in-process`: members are apps sharing one in-process broker (kill -9 is
   * an abrupt close, see `killable-transport.ts`).
   */
  readonly members: 'processes' | 'in-process';
  /**
   * The broker keeps a key's order across the members of a group (Kafka,
   * memory: a partition has one owner), so first handlings follow publish
   * order globally, not only within each member's tenure.
   */
  readonly keyOrderAcrossMembers: boolean;
  /**
   * A member losing a lane in a rebalance may leave handled records
   * uncommitted, so duplicates may come from live members too, not only from
   * killed ones (Kafka: kafkajs has no revoke hook before it rejoins).
   */
  readonly rebalanceDuplicates: boolean;
  readonly handler: SoakHandlerSettings;
  /**
   * Open the broker side in this process. `env` is where the connector reads
   * its settings (broker addresses); `ConnectorSession.env` hands them on.
   */
  open(names: SoakNames, env: Readonly<Record<string, string | undefined>>): Promise<ConnectorSession>;
}

/** The broker as seen from one process. */
export interface ConnectorSession {
  /** Environment a child member needs to reach the same broker (e.g. PARTITA_KAFKA_BROKERS). */
  readonly env: Readonly<Record<string, string>>;
  /** A new transport (one per member, one for the producer). */
  transport(clientId: string): Transport;
  /** Runner only: remove what the run created (best effort). */
  close(): Promise<void>;
}
