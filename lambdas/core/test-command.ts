/**
 * `runtime.testCommand`: the command that runs a service's tests in the test sandbox. No shell runs it, so it is
 * plain words: `npm test`, `npm run <script> [args…]` (npm's own CLI, the one Sluice ships) or `node <args…>`.
 * Pipes, variables and the like belong in a package.json script.
 */

export type TestCommand =
  | { readonly kind: 'npm'; readonly args: readonly string[] }
  | { readonly kind: 'node'; readonly args: readonly string[] };

const NPM_TEST_SUBCOMMANDS = ['test', 'run', 'run-script'] as const;
const SHELL_CHARACTERS = /[;&|<>$`"'\\(){}*?~\n\r]/;
export const MAX_TEST_COMMAND_CHARS = 200;

/** The command's words, or the fix for a command the sandbox cannot run. */
export function parseTestCommand(text: string): TestCommand | { readonly problem: string } {
  if (text.length > MAX_TEST_COMMAND_CHARS) {
    return {
      problem: `use at most ${MAX_TEST_COMMAND_CHARS} characters; put longer commands in a package.json script`,
    };
  }
  if (SHELL_CHARACTERS.test(text)) {
    return {
      problem:
        'use plain words: no shell runs the command, so quotes, pipes, globs, && and variables do nothing; put ' +
        'them in a package.json script and use "npm run <script>"',
    };
  }
  const [program, ...args] = text.trim().split(/\s+/);
  if (program === 'node') {
    return args.length > 0 ? { kind: 'node', args } : { problem: 'add what node runs, e.g. "node --test"' };
  }
  if (program !== 'npm') {
    return {
      problem: `start with npm or node (e.g. "npm test", "npm run test:unit", "node --test"): the sandbox runs those, not ${JSON.stringify(program)}`,
    };
  }
  const [subcommand, script] = args;
  if (!(NPM_TEST_SUBCOMMANDS as readonly string[]).includes(subcommand ?? '')) {
    return { problem: 'use "npm test" or "npm run <script>"' };
  }
  if (subcommand !== 'test' && (script === undefined || script.startsWith('-'))) {
    return { problem: `name the script: "npm ${subcommand} <script>", e.g. "npm run test:unit"` };
  }
  return { kind: 'npm', args };
}

/** The command as a person would type it. */
export function formatTestCommand(command: TestCommand): string {
  return [command.kind, ...command.args].join(' ');
}
