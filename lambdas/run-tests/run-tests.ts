import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build as esbuild } from 'esbuild';
import { TestsFailedError } from '../core/errors';
import type { ReleaseDocument, TestResult } from '../core/model';
import type { Ports } from '../core/ports';
import { recordStageSucceeded } from '../core/stage-record';
import { packDirectory } from '../runtime/checkout-archive';
import { formatEsbuildErrors, isEsbuildFailure, withCheckout } from '../runtime/workspace';
import { parseTap } from './tap';

export type TestPorts = Pick<Ports, 'source' | 'ledger' | 'clock' | 'workDir' | 'testSandbox'>;

/**
 * The largest checkout the sandbox takes, packed: a synchronous Lambda invocation carries at most 6 MB of JSON,
 * and base64 adds a third.
 */
export const MAX_PACKED_CHECKOUT_BYTES = 4 * 1024 * 1024;

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

/**
 * Runs the service's own tests (node:test) from the release's commit in the test sandbox; any failure stops the
 * release. This handler checks out and bundles (esbuild runs no service code); only the sandbox runs it.
 */
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
    // Relative to the checkout: the sandbox unpacks it elsewhere.
    const bundled = files.map((f) =>
      join(relative(dir, outdir), relative(dir, f)).replace(TEST_FILE, '.test.cjs'),
    );
    const packed = await packDirectory(dir);
    if (packed.byteLength > MAX_PACKED_CHECKOUT_BYTES) {
      throw new TestsFailedError(
        `The checkout of ${config.name} at ${release.commit.sha.slice(0, 7)} is ${(packed.byteLength / 2 ** 20).toFixed(1)} MiB ` +
          `zipped; the test sandbox takes up to ${MAX_PACKED_CHECKOUT_BYTES / 2 ** 20} MiB. Point source.path in the ` +
          'catalog at the service folder, or move large files (fixtures, assets) out of it.',
      );
    }
    // The tests run in the sandbox, where no credential of this handler exists; this handler reads the result.
    const result = await ports.testSandbox.run({
      checkout: Buffer.from(packed).toString('base64'),
      steps: [['--test', '--test-reporter=tap', ...bundled]],
      timeoutMs,
    });
    return { ...result, ...parseTap(result.output) };
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
