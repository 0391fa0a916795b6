import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTap } from '../../../lambdas/run-tests/tap';
import { runNode } from '../../../lambdas/test-runner/node-process';
import { testTempDir } from '../../support/test-temp-dir';

function writeTest(body: string): { dir: string; file: string } {
  const dir = testTempDir('run-tests-');
  const file = join(dir, 'x.test.cjs');
  writeFileSync(
    file,
    `const test = require('node:test'); const assert = require('node:assert/strict');\n${body}`,
  );
  return { dir, file };
}

/** Processes whose command line names `marker` (read from /proc, so nothing is assumed about parents). */
function processesRunning(marker: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(marker) ? [`${pid} ${cmdline.trim()}`] : [];
      } catch {
        return []; // gone between the listing and the read
      }
    });
}

describe('parseTap', () => {
  it('reads the summary and the failed tests', () => {
    const tap = 'ok 1 - a\nnot ok 2 - b is wrong\n  ---\n# tests 2\n# pass 1\n# fail 1\n';
    expect(parseTap(tap)).toEqual({ passed: 1, failed: 1, failures: ['b is wrong'] });
  });
});

/** `node --test` over `files`, as the Test stage runs it in the sandbox, with only PATH in its environment. */
async function runNodeTests(files: readonly string[], cwd: string, timeoutMs: number) {
  const run = await runNode(['--test', '--test-reporter=tap', ...files], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs,
  });
  return { ...run, ...parseTap(run.output) };
}

describe('runNode', () => {
  it('counts passing and failing tests of a real node --test run', async () => {
    const { dir, file } = writeTest(
      "test('adds', () => assert.equal(1 + 1, 2));\ntest('breaks', () => assert.equal(1, 2));",
    );
    const run = await runNodeTests([file], dir, 20_000);
    expect(run).toMatchObject({ passed: 1, failed: 1, failures: ['breaks'], timedOut: false });
    expect(run.exitCode).not.toBe(0);
  });

  it('gives the command exactly the environment passed, nothing of its own (credentials)', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'must-not-leak';
    const { dir, file } = writeTest(
      "test('clean env', () => assert.equal(process.env.AWS_SECRET_ACCESS_KEY, undefined));",
    );
    const run = await runNodeTests([file], dir, 20_000);
    expect(run).toMatchObject({ passed: 1, failed: 0, exitCode: 0 });
  });

  it('kills a suite that runs past its timeout, with the per-file processes node --test started', async () => {
    const { dir, file } = writeTest("test('hangs', () => new Promise(() => setInterval(() => {}, 1000)));");
    const run = await runNodeTests([file], dir, 1_500);
    expect(run.timedOut).toBe(true);
    expect(processesRunning(file)).toEqual([]);
  });

  it('leaves no process a test started behind when the suite ends', async () => {
    const { dir, file } = writeTest(
      "const { spawn } = require('node:child_process');\n" +
        "test('starts a daemon', () => { spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'daemon-of-' + __filename], { stdio: 'ignore' }).unref(); });",
    );
    const run = await runNodeTests([file], dir, 20_000);
    expect(run).toMatchObject({ passed: 1, failed: 0, timedOut: false });
    expect(processesRunning(file)).toEqual([]);
  });
});
