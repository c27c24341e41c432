import { setTimeout as sleep } from 'node:timers/promises';
import { createConsoleLogger, createApp, defineHandler, type App } from '@partita/core';
import { createLedger } from '@partita/testing';
import type { ConnectorSession, SoakHandlerSettings, SoakNames } from '../connectors/soak-connector.js';
import { memberTransport, type MemberTransport } from './member-transport.js';
import { openSettlementLog } from './settlement-log.js';

/** Everything one member needs; child processes get it through `SOAK_MEMBER` (JSON). */
export interface SoakMemberConfig extends SoakNames {
  readonly connector: string;
  /** This member's tenure: a label used once per run. */
  readonly label: string;
  readonly ledgerFile: string;
  readonly settlementFile: string;
  readonly handler: SoakHandlerSettings;
  /** Each handling waits this long (a few ms, so members hold records in flight when they die). */
  readonly handlerDelayMs: number;
}

/** The JSON body every record carries. */
export interface SoakPayload {
  readonly id: string;
}

/** A running member: a real `createApp` on the connector's transport, recording what it handles. */
export interface SoakMember {
  readonly app: App;
  readonly transport: MemberTransport;
  /** Graceful: drain, final commit, leave the group. */
  stop(drainTimeoutMs?: number): Promise<void>;
  /** In-process kill -9 (see `MemberTransport.kill`); nothing is recorded after it. */
  kill(): Promise<void>;
}

const silent = createConsoleLogger({ level: 'silent' });

/** Start a member; resolves once `app.start()` did (its lanes may come later). */
export async function startSoakMember(session: ConnectorSession, config: SoakMemberConfig): Promise<SoakMember> {
  const ledger = createLedger({ file: config.ledgerFile });
  const settlements = openSettlementLog(config.settlementFile);
  const transport = memberTransport(session.transport(`soak-${config.label}`), config.label, settlements);
  const app = createApp({
    transport,
    logger: silent,
    handlers: [
      defineHandler<SoakPayload>({
        name: 'soak',
        topic: config.topic,
        group: config.group,
        ordering: 'key',
        maxInFlight: config.handler.maxInFlight,
        timeoutMs: config.handler.timeoutMs,
        async handle(msg) {
          if (config.handlerDelayMs > 0) await sleep(config.handlerDelayMs);
          if (transport.dead) return;
          const redelivered = transport.takeRedelivered(msg);
          ledger.recordHandled({ id: msg.value.id, key: msg.key, by: config.label, attempt: msg.attempt, redelivered });
          settlements.record({
            t: 'h',
            by: config.label,
            id: msg.value.id,
            lane: `${msg.topic}/${msg.partition}`,
            offset: msg.offset,
          });
        },
      }),
    ],
  });
  const release = (): void => {
    ledger.close();
    settlements.close();
  };
  await app.start();
  return {
    app,
    transport,
    async stop(drainTimeoutMs = 5_000) {
      try {
        await app.stop({ drainTimeoutMs });
      } finally {
        release();
      }
    },
    async kill() {
      await transport.kill();
      // What is left of the app holds no lane the broker knows; stopping it only frees its timers.
      void app
        .stop({ drainTimeoutMs: 0 })
        .catch(() => {})
        .finally(release);
    },
  };
}
