import { createConsoleLogger, envReader, LOG_LEVEL_NAMES, type Env, type Logger } from '@partita/core';

/**
 * The logger of a connector the CLI opens (there is no app to attach one):
 * JSON lines on stderr at `PARTITA_LOG_LEVEL`, else `warn`, so kafkajs' info
 * lines do not bury a command's output.
 */
export function connectorLogger(variables: Env): Logger {
  return createConsoleLogger({ level: envReader(variables).oneOf('PARTITA_LOG_LEVEL', LOG_LEVEL_NAMES) ?? 'warn' });
}
