/**
 * Which command runs a service's tests, and how its results are read: `runtime.testCommand`, else `npm test`
 * when package.json has a test script, else the node:test files in `runtime.tests` (bundled first). For vitest,
 * jest and node:test Sluice adds the flag that makes the runner print machine-readable results (JUnit XML, jest's
 * JSON, TAP) to the output the sandbox returns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestReportSource } from '../core/model';
import type { SandboxStep } from '../core/ports';
import { formatTestCommand, parseTestCommand, type TestCommand } from '../core/test-command';

export type TestRunner = 'vitest' | 'jest' | 'node-test';

export interface TestPlan {
  /** What runs, as a person would type it. */
  readonly command: string;
  readonly steps: readonly SandboxStep[];
  /** The format the runner was asked to print; `exit-code` when it is not a runner Sluice knows. */
  readonly expected: TestReportSource;
}

/** The flag each runner takes to print its results in a format Sluice reads, on stdout. */
export const REPORTERS: Record<
  TestRunner,
  { readonly args: readonly string[]; readonly source: TestReportSource }
> = {
  // junit writes the XML to stdout when no outputFile is configured.
  vitest: { args: ['--reporter=junit'], source: 'junit' },
  // jest has no JUnit reporter of its own (jest-junit is a package); its JSON is built in.
  jest: { args: ['--json'], source: 'jest-json' },
  'node-test': { args: ['--test-reporter=tap'], source: 'tap' },
};

/** What `npm init` writes: a test script that only fails. */
const PLACEHOLDER_SCRIPT = /no test specified/;
const REPORTER_FLAG = /(^|\s)(--reporter|--reporters|--test-reporter|--json)\b/;

/**
 * The runner a package.json script ends with (the one `npm test -- <flags>` passes flags to), or undefined when
 * it is not vitest, jest or `node --test`, or already names a reporter.
 */
export function runnerOfScript(script: string): TestRunner | undefined {
  if (REPORTER_FLAG.test(script)) return undefined;
  const last = script.split(/&&|\|\||;/).pop() ?? '';
  const words = last
    .trim()
    .split(/\s+/)
    .filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)); // FOO=bar before the command
  const program = words[0] === 'npx' ? words[1] : words[0];
  if (program === 'vitest') return 'vitest';
  if (program === 'jest') return 'jest';
  if (program === 'node' && words.includes('--test')) return 'node-test';
  return undefined;
}

interface PackageJson {
  readonly scripts?: Record<string, unknown>;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined; // Build reports a package.json that does not parse; here it only means no test script.
  }
}

function script(pkg: PackageJson | undefined, name: string): string | undefined {
  const value = pkg?.scripts?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `npm <args>` with the runner's reporter flags after `--` (npm passes them on to the script). */
function npmPlan(args: readonly string[], pkg: PackageJson | undefined): TestPlan {
  const scriptName = args[0] === 'test' ? 'test' : (args[1] ?? '');
  const runnerScript = script(pkg, scriptName);
  const runner = runnerScript === undefined ? undefined : runnerOfScript(runnerScript);
  const command = formatTestCommand({ kind: 'npm', args });
  if (!runner) return { command, steps: [{ npm: args }], expected: 'exit-code' };
  const reporter = REPORTERS[runner];
  const passOn = args.includes('--') ? reporter.args : ['--', ...reporter.args];
  return { command, steps: [{ npm: [...args, ...passOn] }], expected: reporter.source };
}

function nodePlan(args: readonly string[]): TestPlan {
  const command = formatTestCommand({ kind: 'node', args });
  if (!args.includes('--test') || args.some((a) => a.startsWith('--test-reporter')))
    return { command, steps: [args], expected: 'exit-code' };
  return { command, steps: [[...args, ...REPORTERS['node-test'].args]], expected: 'tap' };
}

/**
 * The plan for a checkout: the catalog's command, else `npm test` when `dir/package.json` has a real test
 * script. Undefined means neither: the node:test files in `runtime.tests` run, as before (see run-tests.ts).
 */
export function testPlan(testCommand: string | undefined, dir: string): TestPlan | undefined {
  const pkg = readPackageJson(dir);
  if (testCommand !== undefined) {
    const parsed = parseTestCommand(testCommand);
    // The catalog was validated; a command that does not parse here is a bug, said plainly.
    if ('problem' in parsed)
      throw new Error(`runtime.testCommand ${JSON.stringify(testCommand)}: ${parsed.problem}`);
    return plan(parsed, pkg);
  }
  const test = script(pkg, 'test');
  if (test === undefined || PLACEHOLDER_SCRIPT.test(test)) return undefined;
  return npmPlan(['test'], pkg);
}

function plan(command: TestCommand, pkg: PackageJson | undefined): TestPlan {
  return command.kind === 'npm' ? npmPlan(command.args, pkg) : nodePlan(command.args);
}
