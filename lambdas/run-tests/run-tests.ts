import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build as esbuild } from 'esbuild';
import type { ServiceConfig } from '../core/catalog/types';
import { TestsFailedError } from '../core/errors';
import type { ReleaseDocument, TestResult } from '../core/model';
import type { Ports } from '../core/ports';
import { recordStageSucceeded } from '../core/stage-record';
import { packDirectory } from '../runtime/checkout-archive';
import { formatEsbuildErrors, isEsbuildFailure, withCheckout } from '../runtime/workspace';
import { failureMessage, testReport } from './test-output';
import { REPORTERS, type TestPlan, testPlan } from './test-plan';

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
 * Runs the service's own tests from the release's commit in the test sandbox: `runtime.testCommand`, else
 * `npm test` when package.json has a test script, else the node:test files in `runtime.tests` (bundled here;
 * esbuild runs no service code). Only the sandbox runs service code. The release records what ran, the counts and
 * the failed tests' names, passed or not; any failure stops the release.
 */
export async function testRelease(
  doc: ReleaseDocument,
  ports: TestPorts,
  options: TestOptions = {},
): Promise<TestResult> {
  const startedAt = ports.clock.now();
  const { config, release } = doc;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const report = await withCheckout(ports, config, release.commit.sha, async (dir) => {
    const plan = testPlan(config.runtime.testCommand, dir) ?? (await nodeTestPlan(dir, config));
    const result = await ports.testSandbox.run({
      checkout: await packCheckout(dir, config, release.commit.sha),
      steps: plan.steps,
      timeoutMs,
    });
    return testReport(plan.command, plan.expected, result);
  });
  await ports.ledger.updateRelease(release.releaseId, { tests: report });
  const problem = failureMessage(config.name, report, timeoutMs);
  if (problem) throw new TestsFailedError(problem);
  const result: TestResult = {
    passed: report.passed,
    failed: report.failed,
    durationMs: ports.clock.now().getTime() - startedAt.getTime(),
  };
  await recordStageSucceeded(
    ports,
    release.releaseId,
    'Test',
    startedAt,
    `${result.passed} passed (${report.command})`,
  );
  return result;
}

/** The checkout, zipped for the sandbox: the runner gets the files, never this handler's credentials. */
async function packCheckout(dir: string, config: ServiceConfig, sha: string): Promise<string> {
  const packed = await packDirectory(dir);
  if (packed.byteLength > MAX_PACKED_CHECKOUT_BYTES) {
    throw new TestsFailedError(
      `The checkout of ${config.name} at ${sha.slice(0, 7)} is ${(packed.byteLength / 2 ** 20).toFixed(1)} MiB ` +
        `zipped; the test sandbox takes up to ${MAX_PACKED_CHECKOUT_BYTES / 2 ** 20} MiB. Point source.path in the ` +
        'catalog at the service folder, or move large files (fixtures, assets) out of it.',
    );
  }
  return Buffer.from(packed).toString('base64');
}

/** The node:test files of `runtime.tests`, bundled into the checkout, run with `node --test` and TAP. */
async function nodeTestPlan(dir: string, config: ServiceConfig): Promise<TestPlan> {
  const testsDir = join(dir, config.runtime.tests);
  const files = existsSync(testsDir) ? await findTestFiles(testsDir) : [];
  if (files.length === 0) {
    throw new TestsFailedError(
      `No tests found in ${config.runtime.tests}/ of ${config.name} (files named *.test.ts or *.test.js) and no ` +
        'test script in package.json; a release needs tests: add them, fix runtime.tests, or set ' +
        'runtime.testCommand in the catalog',
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
  return {
    command: `node --test (${files.length} file${files.length === 1 ? '' : 's'} in ${config.runtime.tests}/)`,
    steps: [['--test', ...REPORTERS['node-test'].args, ...bundled]],
    expected: 'tap',
  };
}
