import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TempDirReport } from './fixtures/temp-dir/record';
import { testTempDir, testTempParent } from './test-temp-dir';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

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
    const report = testTempDir('report-');
    // A child vitest: the fixture files run in two workers at once, as the project's files do.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')),
    );
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--root',
        ROOT,
        '--config',
        'test/support/fixtures/temp-dir/vitest.config.mts',
      ],
      { cwd: ROOT, env: { ...env, SLUICE_TEMP_DIR_REPORT: report } },
    );
    const [a, b] = ['a', 'b'].map(
      (name) => JSON.parse(readFileSync(join(report, `${name}.json`), 'utf8')) as TempDirReport,
    );
    expect(a?.presentInAfterAll).toBe(true);
    expect(b?.presentInAfterAll).toBe(true);
    expect(a?.parent).not.toBe(b?.parent);
    for (const seen of [a, b]) {
      expect(dirname(seen?.dir ?? '')).toBe(seen?.parent);
      expect(existsSync(seen?.parent ?? '')).toBe(false);
    }
  }, 60_000);
});
