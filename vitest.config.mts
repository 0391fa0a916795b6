import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds by test file, from a full run (`npm run test:durations` rewrites it), under the project root. */
const DURATIONS = 'test/durations.json';

/** Seconds by test file; none when the file is missing. */
function readDurations(file: string): ReadonlyMap<string, number> {
  if (!existsSync(file)) return new Map();
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const entries =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : [];
  if (entries.length === 0 || entries.some(([, seconds]) => typeof seconds !== 'number')) {
    throw new Error(
      `${file}: expected seconds by test file, e.g. {"test/a.test.ts": 12.5}; run npm run test:durations`,
    );
  }
  return new Map(entries as [string, number][]);
}

/** Sorts by expected duration, longest first; items with none keep their relative order after the others. */
export function longestFirst<T>(items: readonly T[], expectedMs: (item: T) => number | undefined): T[] {
  return items
    .map((item, index) => ({ item, index, ms: expectedMs(item) }))
    .sort((a, b) => (b.ms ?? -1) - (a.ms ?? -1) || a.index - b.index)
    .map(({ item }) => item);
}

/**
 * Starts the longest test files first. Six files run at once, and a long file that starts late becomes the run's
 * tail (the npm-install test started 106 s into a 129 s run when files went by size). A file's expected duration
 * is test/durations.json's (committed, so every machine, CI's fresh clone too, starts in the same order; `npm run
 * test:durations` rewrites it), else vitest's record of its last run here (a file added since), else unknown: after
 * the others (most files are short).
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const committed = readDurations(join(root, DURATIONS));
    return longestFirst(files, (spec) => {
      const path = relative(root, spec.moduleId);
      const seconds = committed.get(path);
      if (seconds !== undefined) return seconds * 1000;
      return this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`)?.duration;
    });
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Hooks start shared services (DynamoDB Local, a synth) that a busy machine makes slow; this only bounds a hang.
    hookTimeout: 120_000,
    // End-to-end files mostly wait (canary bakes, approval expiry, child processes): on two cores, four files at
    // once overlap those waits (vitest 118 s with 4, 110-113 s with 6, all passing).
    maxWorkers: 6,
    // One DynamoDB Local and one pipeline synth for the run, and the check for processes left behind.
    globalSetup: ['test/global-setup.ts'],
    // Files share a worker's node_modules (importing aws-cdk-lib, the SDK and the interpreter once per worker, not
    // ~2 s per file); between-files undoes what a file stubs and reloads the project's own modules. One project, so
    // a worker goes on to any next file (vitest starts a new worker when the next file is another project's).
    isolate: false,
    setupFiles: ['test/setup.ts', 'test/support/between-files.ts'],
    sequence: { sequencer: LongestFirstSequencer },
  },
});
