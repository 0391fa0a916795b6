/**
 * A CDK App given no outdir makes its assembly folder, `cdk.out<random>`, in the temp directory when it is
 * constructed, and removes it only on a normal process exit, which a vitest worker never has: each such App in a
 * test left a folder behind (about 65 in a full run). Test apps take an outdir under the file's temporary folder instead
 * (test/lib/fixtures.ts `testApp`, test/support/test-temp-dir.ts `testOutdir`), and this keeps it that way.
 */
import { realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';

/** The hook aws-cdk-lib calls with every App it constructs (its own test setup uses it, testhelpers/). */
const APP_INIT_HOOK = Symbol.for('@aws-cdk/core.App#initHook');

/** A test constructed a CDK App without an outdir. */
export class AppWithoutOutdirError extends Error {
  override name = 'AppWithoutOutdirError';
}

/**
 * From now on in this process, constructing a CDK App without an outdir throws AppWithoutOutdirError (after
 * removing the folder CDK has just made), at the test's `new App()`.
 */
export function refuseAppsWithoutOutdir(): void {
  // Where CDK makes it: mkdtemp(`<real path of the temp directory>/cdk.out`).
  const temp = realpathSync(tmpdir());
  (globalThis as Record<symbol, unknown>)[APP_INIT_HOOK] = (app: { outdir: string }) => {
    if (dirname(app.outdir) !== temp || !/^cdk\.out[A-Za-z0-9]{6}$/.test(basename(app.outdir))) return;
    rmSync(app.outdir, { recursive: true, force: true });
    throw new AppWithoutOutdirError(
      `new App() without an outdir leaves ${app.outdir} behind: use testApp() (test/lib/fixtures.ts) or ` +
        'outdir: testOutdir() (test/support/test-temp-dir.ts)',
    );
  };
}
