/** What every CLI command is, and the argument parsing they share. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closestMatch } from '../../lambdas/core/catalog/validate';

/** Exit codes: 0 done, 1 the command ran and found a failure, 2 the command line itself is wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface Command {
  /** What follows `sluice` on the command line. */
  readonly name: string;
  /** One line for `sluice --help`. */
  readonly summary: string;
  /** The full help text `sluice <name> --help` prints, starting with `Usage: sluice <name> ...`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. Throw UsageError for a bad command line. */
  run(argv: string[]): Promise<number>;
}

/** A wrong command line: the dispatcher prints the message and the command's usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The option names a config accepts, as typed on the command line (`--config`, `-c`). */
function optionFlags(options: Options): string[] {
  return Object.entries(options).flatMap(([name, o]) => [
    `--${name}`,
    ...(o.short !== undefined ? [`-${o.short}`] : []),
  ]);
}

/** Turns node:util's parse errors into short messages that name the offending argument. */
function usageMessage(error: Error & { code?: string }, options: Options): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted ?? error.message;
      const match = closestMatch(flag, optionFlags(options));
      return `unknown option ${flag}${match !== undefined ? `; did you mean ${match}?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const long = /--([\w-]+)/.exec(error.message)?.[1];
      const option = long !== undefined ? options[long] : undefined;
      if (option?.type === 'string') return `option --${long} needs a value`;
      return long !== undefined ? `option --${long} takes no value` : error.message;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}`.trim();
    default:
      return error.message;
  }
}

/** node:util parseArgs in strict mode, throwing UsageError with a readable message. */
export function parseCommandArgs<const T extends Options>(
  argv: string[],
  options: T,
  config: { allowPositionals?: boolean } = {},
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: config.allowPositionals ?? false,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(usageMessage(Object.assign(error, { code }), options));
    }
    throw error;
  }
}
