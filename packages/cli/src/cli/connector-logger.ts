import { createConsoleLogger, envReader, LOG_LEVEL_NAMES, type Env, type Logger } from '@partita/core';

/**
 * The logger of a connector the CLI opens (there is no app to attach one):
 * JSON lines on stderr at `PARTITA_LOG_LEVEL`, else `error`: the command
 * reports its own failures, and client notices (kafkajs warns on every
 * producer it makes) would bury its output.
 */
export function connectorLogger(variables: Env): Logger {
  return createConsoleLogger({ level: envReader(variables).oneOf('PARTITA_LOG_LEVEL', LOG_LEVEL_NAMES) ?? 'error' });
}
