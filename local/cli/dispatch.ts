/** Picks the command from argv and runs it; owns help, unknown commands and usage errors for all of them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closestMatch } from '../../lambdas/core/catalog/validate';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './command';
import { commands as defaultCommands } from './registry';

export function cliUsage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: sluice <command> [options]

Sluice releases the services in its catalog: build, test, stage, then an approval (delivery) or an
alarm-watched canary (deployment). These commands run it on this machine.

Commands:
${list}

Options:
  -h, --help     show this help; \`sluice <command> --help\` shows a command's options
  -v, --version  print the version`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

function usageFailure(message: string, usage: string): number {
  process.stderr.write(`${message}\n\n${usage}\n`);
  return EXIT_USAGE;
}

/** `--help` anywhere before a `--` separator asks for help. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Runs the command line `argv` (without `node` and the script); resolves to the process exit code. */
export async function runCli(
  argv: readonly string[],
  commands: readonly Command[] = defaultCommands,
): Promise<number> {
  const usage = cliUsage(commands);
  const [first, ...rest] = argv;
  if (first === undefined) return usageFailure('sluice: missing command', usage);
  if (first === '--help' || first === '-h') {
    process.stdout.write(`${usage}\n`);
    return EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  if (first.startsWith('-')) return usageFailure(`sluice: unknown option ${first}`, usage);

  const names = commands.map((c) => c.name);
  if (first === 'help') {
    const topic = commands.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && topic === undefined)
      return usageFailure(`sluice: unknown command ${rest[0]}`, usage);
    process.stdout.write(`${topic?.usage ?? usage}\n`);
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    const match = closestMatch(first, names);
    return usageFailure(
      `sluice: unknown command ${first}${match !== undefined ? `; did you mean ${match}?` : ''}`,
      usage,
    );
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError)
      return usageFailure(`sluice ${command.name}: ${error.message}`, command.usage);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`sluice ${command.name}: ${message}\n`);
    return EXIT_FAILURE;
  }
}
