/**
 * `npm run test:durations`: runs the whole suite once and writes test/durations.json, each test file's duration
 * in seconds (files of at least half a second), which the sequencer in vitest.config.mts reads to start the longest files
 * first on a machine that has not run the suite yet (a fresh clone, CI). Writes nothing when a test fails: the
 * durations of a failing run are not the suite's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { runMain } from './run-main';

const ROOT = resolve(__dirname, '..');
const VITEST = join(ROOT, 'node_modules', '.bin', 'vitest');
/** What vitest.config.mts's sequencer reads: seconds by test file path relative to the repository root. */
export const DURATIONS_FILE = join(ROOT, 'test', 'durations.json');
/** Shorter files are not worth a line: where they go barely changes when the run ends. */
const MIN_SECONDS = 0.5;

/** The parts of vitest's JSON report read here. */
export interface DurationsReport {
  readonly testResults: readonly {
    readonly name: string;
    readonly startTime: number;
    readonly endTime: number;
  }[];
}

/** Seconds by path relative to `root`, longest first, rounded to a tenth; files under `minSeconds` left out. */
export function durationsOf(
  report: DurationsReport,
  root: string,
  minSeconds = MIN_SECONDS,
): Record<string, number> {
  return Object.fromEntries(
    report.testResults
      .filter((file) => file.endTime - file.startTime >= minSeconds * 1000)
      .map(
        (file) =>
          [relative(root, file.name), Math.round((file.endTime - file.startTime) / 100) / 10] as const,
      )
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
}
async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-durations-'));
  try {
    const reportFile = join(dir, 'report.json');
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(
        VITEST,
        [
          'run',
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${reportFile}`,
          ...process.argv.slice(2),
        ],
        { cwd: ROOT, stdio: 'inherit' },
      );
      child.once('error', fail);
      child.once('close', (exit) => done(exit ?? 1));
    });
    if (code !== 0) {
      process.stderr.write(`✘ vitest exited ${code}: ${relative(ROOT, DURATIONS_FILE)} left as it was\n`);
      return 1;
    }
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DurationsReport;
    const durations = durationsOf(report, ROOT);
    await writeFile(DURATIONS_FILE, `${JSON.stringify(durations, null, 2)}\n`);
    process.stdout.write(`✔ ${relative(ROOT, DURATIONS_FILE)}: ${Object.keys(durations).length} files\n`);
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runMain(main);
