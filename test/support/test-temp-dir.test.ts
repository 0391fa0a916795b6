import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TempDirReport } from './fixtures/temp-dir/record';
import type { TeardownReport } from './fixtures/temp-dir/teardown/throw';
import { testTempDir, testTempParent } from './test-temp-dir';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** Runs a child vitest with `config`; returns the folder its fixture files wrote their reports to, and its exit. */
async function childVitest(config: string): Promise<{ report: string; failed: boolean }> {
  const report = testTempDir('report-');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const failed = await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', ROOT, '--config', config],
    { cwd: ROOT, env: { ...env, SLUICE_TEMP_DIR_REPORT: report } },
  ).then(
    () => false,
    () => true,
  );
  return { report, failed };
}

function readReport<T>(report: string, name: string): T {
  return JSON.parse(readFileSync(join(report, `${name}.json`), 'utf8')) as T;
}

describe('testTempDir', () => {
  it('makes a fresh, empty folder under this worker’s parent each time', () => {
    const first = testTempDir('one-');
    const second = testTempDir('one-');
    expect(first).not.toBe(second);
    expect(dirname(first)).toBe(testTempParent());
    expect(dirname(second)).toBe(testTempParent());
    expect(existsSync(first) && existsSync(second)).toBe(true);
  });

  it('removes a file’s folders after the file’s own afterAll hooks, and gives two workers two parents', async () => {
    // The fixture files run in two workers (threads of one process) at once, as the project's files do.
    const { report, failed } = await childVitest('test/support/fixtures/temp-dir/vitest.config.mts');
    expect(failed).toBe(false);
    const [a, b] = ['a', 'b'].map((name) => readReport<TempDirReport>(report, name));
    expect(a?.presentInAfterAll).toBe(true);
    expect(b?.presentInAfterAll).toBe(true);
    expect(a?.parent).not.toBe(b?.parent);
    for (const seen of [a, b]) {
      expect(dirname(seen?.dir ?? '')).toBe(seen?.parent);
      expect(existsSync(seen?.parent ?? '')).toBe(false);
    }
  }, 60_000);

  it('removes what a file whose afterAll threw left, before the worker’s next file', async () => {
    // vitest stops at the first after-hook that throws, so the setup file's removal is skipped for that file.
    const { report, failed } = await childVitest('test/support/fixtures/temp-dir/teardown/vitest.config.mts');
    expect(failed).toBe(true);
    const reports = ['c', 'd'].map((name) => readReport<TeardownReport>(report, name));
    const first = reports.find((seen) => seen.ranFirst);
    const second = reports.find((seen) => !seen.ranFirst);
    expect(existsSync(first?.dir ?? '')).toBe(false);
    // The worker's last file: nothing runs after it in that worker.
    expect(existsSync(second?.dir ?? '')).toBe(true);
    rmSync(dirname(second?.dir ?? ''), { recursive: true, force: true });
  }, 60_000);
});
