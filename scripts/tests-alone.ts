/**
 * `npx tsx scripts/tests-alone.ts [--each-test] [--timeout-s 600] [files or folders…]`
 *
 * Runs every test file alone, one `vitest run <file>` after another, so a file that only passes after another
 * (shared state, a port, a table, a process an earlier file left) shows up. With --each-test it then runs each
 * test of those files alone (`-t` with the test's full name), so a test that leans on an earlier test of its own
 * file shows up too. Files: the test files under the paths named (files or folders), else every test file.
 * Prints one line per run and a summary naming every failure with its first error lines; exits 1 if any failed.
 * One run at a time: each starts its own global setup (DynamoDB Local, the shared synth) as `npm test` would.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runMain } from './run-main';

const ROOT = resolve(__dirname, '..');
const VITEST = join(ROOT, 'node_modules', '.bin', 'vitest');

/** The parts of vitest's JSON report read here. */
interface JsonReport {
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: readonly {
    readonly name: string;
    readonly message?: string;
    readonly assertionResults: readonly {
      readonly ancestorTitles: readonly string[];
      readonly title: string;
      readonly status: string;
      readonly failureMessages?: readonly string[];
    }[];
  }[];
}

export interface AloneRun {
  readonly file: string;
  /** The test's full name (describe titles and its title), or undefined for the whole file. */
  readonly test?: string;
  readonly ok: boolean;
  readonly seconds: number;
  /** Why it failed: the failing tests and their first error lines, or the run's own error. */
  readonly problems: readonly string[];
  /** The tests the file holds (not skipped), for --each-test. */
  readonly tests: readonly string[];
}

/**
 * A `-t` pattern for this test alone: vitest matches it against the test's full name, which may start with
 * the file's. A test whose name ends with another's whole name would run both: the run then reports it.
 */
export function exactTestPattern(test: string): string {
  return `^(.* )?${test.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** What a run's JSON report says: failures (with their first lines) and the tests that ran. */
export function readReport(
  report: JsonReport,
  expectTests?: number,
): { problems: string[]; tests: string[] } {
  const problems: string[] = [];
  const tests: string[] = [];
  for (const result of report.testResults) {
    if (result.message) problems.push(firstLines(result.message));
    for (const assertion of result.assertionResults) {
      const name = [...assertion.ancestorTitles, assertion.title].join(' ');
      if (assertion.status === 'failed') {
        problems.push(`${name}: ${firstLines(assertion.failureMessages?.join('\n') ?? 'failed')}`);
      }
      if (assertion.status === 'passed' || assertion.status === 'failed') tests.push(name);
    }
  }
  if (report.numFailedTests > 0 && problems.length === 0) problems.push(`${report.numFailedTests} failed`);
  if (expectTests !== undefined && report.numPassedTests + report.numFailedTests !== expectTests) {
    problems.push(
      `the name pattern ran ${report.numPassedTests + report.numFailedTests} tests, not ${expectTests}`,
    );
  }
  return { problems, tests };
}

function firstLines(text: string, lines = 4): string {
  return text.split('\n').slice(0, lines).join('\n    ').trim();
}

/** Runs vitest on one file (one test of it, if `test`), in its own process group, killed whole at the timeout. */
async function runAlone(file: string, test: string | undefined, timeoutMs: number): Promise<AloneRun> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-alone-'));
  const outputFile = join(dir, 'report.json');
  const args = ['run', file, '--reporter=json', `--outputFile=${outputFile}`];
  if (test !== undefined) args.push('-t', exactTestPattern(test));
  const started = performance.now();
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done, fail) => {
      const child = spawn(VITEST, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => {
        output += `\ntimed out after ${timeoutMs / 1000} s`;
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', fail);
      child.once('close', (exitCode) => {
        clearTimeout(timer);
        done({ code: exitCode, output });
      });
    });
    const seconds = (performance.now() - started) / 1000;
    const report = await readFile(outputFile, 'utf8').then(
      (text) => JSON.parse(text) as JsonReport,
      () => undefined,
    );
    if (!report) {
      return { file, test, ok: false, seconds, problems: [`no report (exit ${code}): ${output}`], tests: [] };
    }
    const { problems, tests } = readReport(report, test === undefined ? undefined : 1);
    if (code !== 0 && problems.length === 0) problems.push(`exit ${code}: ${firstLines(output, 12)}`);
    return { file, test, ok: problems.length === 0, seconds, problems, tests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The test files under the paths named (all if none), relative to the repository root. */
async function testFiles(paths: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-list-'));
  try {
    // --json=FILE: a bare --json takes the path after it as the file to write.
    const listFile = join(dir, 'files.json');
    const args = [
      'list',
      '--filesOnly',
      `--json=${listFile}`,
      ...paths.map((path) => relative(ROOT, resolve(path)) || '.'),
    ];
    await new Promise<void>((done, fail) => {
      const child = spawn(VITEST, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      child.once('error', fail);
      child.once('close', (code) => (code === 0 ? done() : fail(new Error(`vitest list exited ${code}`))));
    });
    const listed = JSON.parse(await readFile(listFile, 'utf8')) as { file: string }[];
    return [...new Set(listed.map((entry) => relative(ROOT, entry.file)))].sort();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'each-test': { type: 'boolean', default: false },
      'timeout-s': { type: 'string', default: '600' },
    },
  });
  const timeoutMs = Number(values['timeout-s']) * 1000;
  if (!(timeoutMs > 0)) {
    process.stderr.write(
      `✘ --timeout-s must be a positive number of seconds; received ${values['timeout-s']}\n`,
    );
    return 2;
  }
  const files = await testFiles(positionals);
  if (files.length === 0) {
    process.stderr.write(`✘ no test file under ${positionals.join(', ')}\n`);
    return 2;
  }
  const runs: AloneRun[] = [];
  const record = (run: AloneRun) => {
    runs.push(run);
    const what = run.test === undefined ? run.file : `${run.file} › ${run.test}`;
    process.stdout.write(`${run.ok ? 'ok  ' : 'FAIL'} ${run.seconds.toFixed(1).padStart(6)} s  ${what}\n`);
  };
  for (const file of files) {
    const run = await runAlone(file, undefined, timeoutMs);
    record(run);
    if (!values['each-test']) continue;
    for (const test of run.tests) record(await runAlone(file, test, timeoutMs));
  }
  const failed = runs.filter((run) => !run.ok);
  process.stdout.write(`\n${runs.length} runs, ${failed.length} failed\n`);
  for (const run of failed) {
    process.stdout.write(`\n✘ ${run.file}${run.test === undefined ? '' : ` › ${run.test}`}\n`);
    for (const problem of run.problems) process.stdout.write(`  - ${problem}\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) runMain(main);
