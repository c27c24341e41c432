// A soak member in a child process: `node dist/member/member-main.js` with
// SOAK_MEMBER (a JSON SoakMemberConfig) and the connector's own environment.
// Prints "ready" once started; SIGTERM stops it gracefully (exit 0), also
// while it is still starting; the runner's kill -9 is a real SIGKILL.
import { soakConnector } from '../connectors/connectors.js';
import { startSoakMember, type SoakMemberConfig } from './soak-member.js';

const config = JSON.parse(process.env.SOAK_MEMBER ?? '') as SoakMemberConfig;
const starting = soakConnector(config.connector).open(config, process.env).then((session) => startSoakMember(session, config));
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    await (await starting).stop();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`[${config.label}] stop failed: ${String(err)}\n`);
    process.exit(1);
  }
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
await starting;
process.stdout.write('ready\n');
