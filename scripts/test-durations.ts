/**
 * `npm run test:durations` (vitest run with this file as a reporter): after a full run in which every file passed,
 * writes test/durations.json, each test file's seconds from being prepared to its last hook (import, setup, tests
 * and hooks; files under half a second left out), which the sequencer in vitest.config.mts reads to start the
 * longest files first. A run with a failure writes nothing: its durations are not the suite's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** What vitest.config.mts's sequencer reads: seconds by test file path relative to the repository root. */
export const DURATIONS_FILE = join(__dirname, '..', 'test', 'durations.json');
/** Shorter files are not worth a line: where they go barely changes when the run ends. */
const MIN_SECONDS = 0.5;

/** A test file's parts of a run, in milliseconds (vitest's module diagnostic). */
export interface FileTimes {
  readonly path: string;
  readonly prepareDuration: number;
  readonly collectDuration: number;
  readonly setupDuration: number;
  readonly duration: number;
}

/** Seconds by path, longest first, rounded to a tenth; files under `minSeconds` left out. */
export function durationsOf(files: readonly FileTimes[], minSeconds = MIN_SECONDS): Record<string, number> {
  return Object.fromEntries(
    files
      .map((f) => [f.path, f.prepareDuration + f.collectDuration + f.setupDuration + f.duration] as const)
      .filter(([, ms]) => ms >= minSeconds * 1000)
      .map(([path, ms]) => [path, Math.round(ms / 100) / 10] as const)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
}

export default class TestDurationsReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[]): void {
    const failed = testModules.filter((m) => !m.ok()).map((m) => m.relativeModuleId);
    if (failed.length > 0 || unhandledErrors.length > 0) {
      process.stderr.write(
        `✘ test/durations.json left as it was: ${failed.length} file(s) failed (${failed.slice(0, 3).join(', ')}), ${unhandledErrors.length} unhandled error(s)\n`,
      );
      process.exitCode = 1;
      return;
    }
    const durations = durationsOf(testModules.map((m) => ({ path: m.relativeModuleId, ...m.diagnostic() })));
    writeFileSync(DURATIONS_FILE, `${JSON.stringify(durations, null, 2)}\n`);
    process.stdout.write(
      `✔ test/durations.json: ${Object.keys(durations).length} files of ${testModules.length}\n`,
    );
  }
}
