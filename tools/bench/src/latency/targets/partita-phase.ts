import { createApp, defineHandler, type HandlerOptions, type OutboundRecord, type Transport } from '@partita/core';
import { quiet, type LatencyPhase, type Stamp, type StampHandler } from '../latency-target.js';
import { waitForLanes } from './wait-lanes.js';

export interface PartitaPhaseOptions {
  /** The consuming side's own transport (not the shared producer). */
  readonly transport: Transport;
  readonly topic: string;
  /** The handler's name (and so its group). */
  readonly group: string;
  readonly handle: StampHandler;
  /** The shared producer's publish. */
  readonly publish: (records: readonly OutboundRecord[]) => Promise<void>;
  /** Lanes the app must be assigned before the phase starts. @defaultValue 1 */
  readonly lanes?: number;
  /** Handler options beyond the defaults (e.g. `ordering`, `maxInFlight`, `deadLetter`). */
  readonly handler?: Omit<HandlerOptions, 'name' | 'topic' | 'handle' | 'worker'>;
  /** Run after the app stopped: delete what the phase created. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * partita's side of a connector phase: an app with one handler on `topic`
 * that hands each decoded value to `handle`, started and assigned its lanes
 * when this resolves; `close` stops it (5 s drain) and runs `cleanup`.
 */
export async function partitaPhase(opts: PartitaPhaseOptions): Promise<LatencyPhase> {
  const { handle, topic } = opts;
  const app = createApp({
    transport: opts.transport,
    logger: quiet,
    handlers: [defineHandler({ ...opts.handler, name: opts.group, topic, handle: (m) => handle(m.value as Stamp) })],
  });
  const lanes = waitForLanes(app, opts.lanes ?? 1);
  await app.start();
  await lanes;
  return {
    topic,
    publish: opts.publish,
    async close() {
      await app.stop({ drainTimeoutMs: 5_000 });
      await opts.cleanup?.();
    },
  };
}
