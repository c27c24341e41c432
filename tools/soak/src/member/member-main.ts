// A soak member in a child process: `node dist/member/member-main.js`, with
// the connector's own environment. It loads everything, prints "warm", then
// waits for one stdin line "start <SoakMemberConfig as JSON>": only then does
// it join the group (so a start in the soak is a join, not a Node start-up).
// Prints "ready" once started; SIGTERM stops it gracefully (exit 0), also
// while it is still starting; the runner's kill -9 is a real SIGKILL.
import { createInterface } from 'node:readline';
import { soakConnector } from '../connectors/connectors.js';
import { startSoakMember, type SoakMember, type SoakMemberConfig } from './soak-member.js';

let starting: Promise<SoakMember> | undefined;
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    if (starting) await (await starting).stop();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`stop failed: ${String(err)}\n`);
    process.exit(1);
  }
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (starting || stopping || !line.startsWith('start ')) return;
  const config = JSON.parse(line.slice('start '.length)) as SoakMemberConfig;
  starting = soakConnector(config.connector)
    .open(config, process.env)
    .then((session) => startSoakMember(session, config));
  starting.then(
    () => process.stdout.write('ready\n'),
    (err: unknown) => {
      process.stderr.write(`[${config.label}] start failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
process.stdout.write('warm\n');
