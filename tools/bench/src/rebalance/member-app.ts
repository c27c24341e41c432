import { createConsoleLogger, createApp, defineHandler, type App, type Transport } from '@partita/core';
import { wallNow, type MemberReport, type Tick } from './member-report.js';

/** How long the handler works on each record (an awaited timer): records are in flight when a member goes. */
export const HANDLER_MS = 2;

const quiet = createConsoleLogger({ level: 'silent' });

/**
 * One member's app: a key-ordered handler (defaults otherwise) that reports
 * each record at handler start, and lane assignments, through `report`
 * (silenced once `alive()` is false: a killed member reports nothing more).
 */
export function memberApp(
  transport: Transport,
  topic: string,
  group: string,
  report: (r: MemberReport) => void,
  alive: () => boolean = () => true,
): App {
  const say = (r: MemberReport): void => {
    if (alive()) report(r);
  };
  const app = createApp({
    transport,
    logger: quiet,
    handlers: [
      defineHandler({
        name: group,
        topic,
        deadLetter: false,
        async handle(m) {
          say({ t: 'handled', partition: m.partition, seq: (m.value as Tick).seq, at: wallNow() });
          await new Promise((r) => setTimeout(r, HANDLER_MS));
        },
      }),
    ],
  });
  app.on('lane.assigned', ({ lane }) => say({ t: 'assigned', partition: lane.partition, at: wallNow() }));
  app.on('lane.revoked', ({ lane }) => say({ t: 'revoked', partition: lane.partition, at: wallNow() }));
  return app;
}
