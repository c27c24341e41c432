import type { LaneView } from '../backend/backend.js';
import type { CommandSpec } from '../cli/command-spec.js';
import { formatTable } from '../output/format-table.js';
import type { Style } from '../output/style.js';

/** A lane's state, coloured: running green, paused/backing off yellow, blocked red, draining/stopped dim. */
function stateCell(lane: LaneView, s: Style): string {
  const text = lane.pauseReason !== undefined && lane.state === 'paused' ? `paused (${lane.pauseReason})` : lane.state;
  if (lane.state === 'blocked') return s.red(text);
  if (lane.state === 'paused' || lane.state === 'running.backingOff') return s.yellow(text);
  if (lane.state.startsWith('running')) return s.green(text);
  return s.dim(text);
}

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: "a running app's lanes, each with its lane machine state, and its health",
  description:
    "Needs the app's admin endpoint (@partita/http serve(app, { admin })): --url, PARTITA_ADMIN_URL or admin.url in the config file. A lane is one (handler, group, topic, partition); its state is the lane machine's (running.fetching, running.waiting, running.backingOff, paused, blocked, draining, stopped).",
  positionals: [],
  options: {},
  examples: ['partita inspect --url http://127.0.0.1:9464', 'partita inspect --url http://127.0.0.1:9464 --json'],
  async run(ctx) {
    const app = await (await ctx.backend()).app();
    if (ctx.out.json) return ctx.out.printJson(app);
    const s = ctx.out.style;
    const health = app.health?.status ?? 'unknown';
    const healthText = health === 'ok' ? s.green(health) : health === 'down' ? s.red(health) : s.yellow(health);
    const lines = [
      `${s.bold('app')} ${app.state}   ${s.bold('transport')} ${app.transport}   ${s.bold('health')} ${healthText}`,
    ];
    for (const reason of app.health?.reasons ?? []) lines.push(`  ${s.yellow('!')} ${reason}`);
    if (app.executor) lines.push(`${s.bold('executor')} ${JSON.stringify(app.executor)}`);
    ctx.out.write(lines.join('\n') + '\n\n');
    const n = (v: number | undefined): string => (v === undefined ? '-' : String(v));
    ctx.out.write(
      formatTable(
        [
          { header: 'HANDLER' },
          { header: 'GROUP' },
          { header: 'TOPIC' },
          { header: 'P', right: true },
          { header: 'STATE' },
          { header: 'IN-FLIGHT', right: true },
          { header: 'COMMITTED', right: true },
          { header: 'LAG', right: true },
          { header: 'DONE', right: true },
          { header: 'FAILED', right: true },
          { header: 'DLQ', right: true },
        ],
        app.lanes.map((l) => [
          l.handler,
          l.group,
          l.topic,
          String(l.partition),
          stateCell(l, s),
          n(l.inFlight),
          l.committed ?? '-',
          n(l.lag),
          n(l.succeeded),
          n(l.failed),
          n(l.deadLettered),
        ]),
        s,
      ),
    );
    if (app.lanes.length === 0) ctx.out.note('no lanes: the app has no partitions assigned (not started, or stopped)');
  },
};
