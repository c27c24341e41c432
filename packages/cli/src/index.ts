export { loadConfig, parseConfig, CONFIG_FILES } from './config/load-config.js';
export type { PartitaConfig, LoadConfigOptions } from './config/load-config.js';
export { createTransportFromConfig, transportVariables } from './config/create-transport-from-config.js';
export type { TransportFromConfigOptions } from './config/create-transport-from-config.js';
export { interpolate } from './config/interpolate.js';
export { SECTION_VARIABLES } from './config/config-variables.js';
export { runCli } from './cli/run-cli.js';
export type { CliIo } from './cli/run-cli.js';
export { EXIT } from './cli/cli-error.js';
