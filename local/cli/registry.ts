import { approvalsCommand, approveCommand, rejectCommand } from './approvals';
import { cancelCommand } from './cancel';
import type { Command } from './command';
import { localCommand } from './local';
import { releaseCommand } from './release';
import { retryCommand } from './retry';
import { rollbackCommand } from './rollback';
import { startCommand } from './start';
import { metricsCommand, statusCommand } from './status';
import { validateCommand } from './validate';

/**
 * Every command the CLI knows, in the order `sluice --help` lists them.
 * To add one: write `local/cli/<name>.ts` exporting a Command, then add it here.
 */
export const commands: readonly Command[] = [
  startCommand,
  localCommand,
  releaseCommand,
  validateCommand,
  approvalsCommand,
  approveCommand,
  rejectCommand,
  rollbackCommand,
  retryCommand,
  cancelCommand,
  statusCommand,
  metricsCommand,
];
