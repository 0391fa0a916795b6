import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build as esbuild } from 'esbuild';
import { TestsFailedError } from '../core/errors';
import type { ReleaseDocument, TestResult } from '../core/model';
import type { Ports } from '../core/ports';
import { recordStageSucceeded } from '../core/stage-record';
import { formatEsbuildErrors, isEsbuildFailure, withCheckout } from '../runtime/workspace';
import { runNodeTests } from './node-test-runner';

export type TestPorts = Pick<Ports, 'source' | 'ledger' | 'clock' | 'workDir'>;

export interface TestOptions {
  /** @default 300000 (5 minutes; the Lambda itself has 15) */
  readonly timeoutMs?: number;
}

const TEST_FILE = /\.test\.(ts|mts|cts|js|mjs|cjs)$/;

async function findTestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && TEST_FILE.test(e.name) && !e.parentPath.includes('node_modules'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Runs the service's own tests (node:test) from the release's commit; any failure stops the release. */
export async function testRelease(
  doc: ReleaseDocument,
  ports: TestPorts,
  options: TestOptions = {},
): Promise<TestResult> {
  const startedAt = ports.clock.now();
  const { config, release } = doc;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const run = await withCheckout(ports, config, release.commit.sha, async (dir) => {
    const testsDir = join(dir, config.runtime.tests);
    const files = existsSync(testsDir) ? await findTestFiles(testsDir) : [];
    if (files.length === 0) {
      throw new TestsFailedError(
        `No tests found in ${config.runtime.tests}/ of ${config.name} (files named *.test.ts or *.test.js); ` +
          'a release needs tests: add them or fix runtime.tests in the catalog',
      );
    }
    const outdir = join(dir, '.sluice-tests');
    try {
      await esbuild({
        entryPoints: files,
        absWorkingDir: dir,
        outbase: dir,
        outdir,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        outExtension: { '.js': '.cjs' },
        logLevel: 'silent',
      });
    } catch (error) {
      if (isEsbuildFailure(error)) {
        throw new TestsFailedError(
          `Tests of ${config.name} do not compile:\n${formatEsbuildErrors(error.errors)}`,
        );
      }
      throw error;
    }
    const bundled = files.map((f) => join(outdir, relative(dir, f)).replace(TEST_FILE, '.test.cjs'));
    return runNodeTests(bundled, dir, timeoutMs);
  });
  if (run.timedOut) {
    throw new TestsFailedError(
      `Tests of ${config.name} did not finish within ${Math.round(timeoutMs / 1000)} s`,
    );
  }
  if (run.exitCode !== 0 || run.failed > 0) {
    const names = run.failures.length > 0 ? `: ${run.failures.slice(0, 5).join('; ')}` : '';
    const tail = run.failures.length === 0 ? `\n${run.output.slice(-1500)}` : '';
    throw new TestsFailedError(
      `${run.failed || 'some'} of ${run.passed + run.failed} tests failed${names}${tail}`,
    );
  }
  const result: TestResult = {
    passed: run.passed,
    failed: run.failed,
    durationMs: ports.clock.now().getTime() - startedAt.getTime(),
  };
  await recordStageSucceeded(ports, release.releaseId, 'Test', startedAt, `${result.passed} passed`);
  return result;
}
