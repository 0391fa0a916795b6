/**
 * Where test CDK apps (test/lib/fixtures.ts `testApp`) write their cloud assemblies: a folder per worker (process
 * and thread, so files running at once never share one) that test/support/between-files.ts removes after each
 * file. Without an outdir, CDK makes a new `cdk.out*` folder in the temp directory per synth and leaves it there.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const parent = join(tmpdir(), `sluice-test-cdk-${process.pid}-${threadId}`);

/** A fresh, empty folder for one app's assembly. */
export function testOutdir(): string {
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, 'app-'));
}

/** Removes every folder `testOutdir` made in this worker. */
export function removeTestOutdirs(): void {
  rmSync(parent, { recursive: true, force: true });
}
