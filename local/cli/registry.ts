import type { Command } from './command';
import { releaseCommand } from './release';
import { rollbackCommand } from './rollback';
import { startCommand } from './start';
import { validateCommand } from './validate';

/**
 * Every command the CLI knows, in the order `sluice --help` lists them.
 * To add one: write `local/cli/<name>.ts` exporting a Command, then add it here.
 */
export const commands: readonly Command[] = [startCommand, releaseCommand, validateCommand, rollbackCommand];
