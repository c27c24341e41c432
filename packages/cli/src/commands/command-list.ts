import type { CommandSpec } from '../cli/command-spec.js';
import { dlqLsCommand } from './dlq/dlq-ls-command.js';
import { dlqPurgeCommand } from './dlq/dlq-purge-command.js';
import { dlqRedriveCommand } from './dlq/dlq-redrive-command.js';
import { dlqShowCommand } from './dlq/dlq-show-command.js';
import { doctorCommand } from './doctor/doctor-command.js';
import { inspectCommand } from './inspect-command.js';
import { lagCommand } from './lag-command.js';
import { produceCommand } from './produce-command.js';
import { tailCommand } from './tail-command.js';
import { topicsCommand } from './topics-command.js';

/** Every command, in the order `partita --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  topicsCommand,
  lagCommand,
  tailCommand,
  produceCommand,
  dlqLsCommand,
  dlqShowCommand,
  dlqRedriveCommand,
  dlqPurgeCommand,
  inspectCommand,
  doctorCommand,
];
