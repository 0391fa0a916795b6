import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AppWithoutOutdirError } from './cdk-outdir';
import { testOutdir } from './test-temp-dir';

describe('refuseAppsWithoutOutdir (test/setup.ts)', () => {
  it('fails a test at its new App() without an outdir, and removes the folder CDK made for it', () => {
    let error: unknown;
    try {
      new App();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(AppWithoutOutdirError);
    const folder = /leaves (\S+) behind/.exec((error as Error).message)?.[1] ?? '';
    expect(folder.startsWith(join(realpathSync(tmpdir()), 'cdk.out'))).toBe(true);
    expect(existsSync(folder)).toBe(false);
  });

  it('lets an App with an outdir be', () => {
    const outdir = testOutdir();
    expect(new App({ outdir }).outdir).toBe(outdir);
  });
});
