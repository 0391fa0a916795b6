/**
 * Temporary folders for tests: each under one parent folder per worker (process and thread, so files running at
 * once never share one), which test/support/between-files.ts removes after each file, once the file's own afterAll
 * hooks have closed what runs in them (vitest runs after-hooks in reverse order of registration, and setup files
 * register first). A test suite leaves nothing in the temp directory, even the tests that never clean up.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** This worker's parent folder (a path from pid and thread, so it survives `vi.resetModules()`). */
export function testTempParent(): string {
  return join(tmpdir(), `sluice-test-${process.pid}-${threadId}`);
}

/** A fresh, empty folder named `<prefix><random>`, removed after the current test file. */
export function testTempDir(prefix: string): string {
  const parent = testTempParent();
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, prefix));
}

/**
 * A fresh, empty folder for one test CDK app's assembly (test/lib/fixtures.ts `testApp`). Without an outdir, CDK
 * makes a new `cdk.out*` folder in the temp directory per synth and leaves it there.
 */
export function testOutdir(): string {
  return testTempDir('cdk-');
}

/** Removes every folder `testTempDir` made in this worker. */
export function removeTestTempDirs(): void {
  rmSync(testTempParent(), { recursive: true, force: true });
}
