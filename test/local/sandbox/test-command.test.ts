/**
 * `runtime.testCommand` through the real Test stage and local sandbox (a Test handler process, the runner
 * process, the command's own): what ran, the counts and failed names recorded on the release, a command that
 * hangs killed at the timeout and recorded, one that prints nothing and fails named plainly.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestReport } from '../../../lambdas/core/model';
import { service } from '../../lib/fixtures';
import type { TestStageHostInput } from './test-stage-host';

const run = promisify(execFile);
const HOST = join(__dirname, 'test-stage-host.ts');
const TSX = createRequire(__filename).resolve('tsx/cjs');

const folders: string[] = [];
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** A service folder holding `files` (path → content). */
async function serviceWith(files: Record<string, string>): Promise<string> {
  const dir = await folder('sluice-test-command-service-');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

interface StageAnswer {
  readonly result?: { passed: number; failed: number };
  readonly error?: { name: string; message: string };
  readonly report: TestReport;
}

/** Runs the Test stage in a process of its own on `serviceDir`, with `testCommand`; its answer and report. */
async function testStage(
  serviceDir: string,
  testCommand: string | undefined,
  timeoutMs = 60_000,
): Promise<StageAnswer> {
  const reportFile = join(await folder('sluice-test-command-report-'), 'report.json');
  const input: TestStageHostInput = {
    config: service('svc', { runtime: { tests: 'test', ...(testCommand ? { testCommand } : {}) } }),
    serviceDir,
    workDir: await folder('sluice-test-command-work-'),
    timeoutMs,
    reportFile,
  };
  const { stdout } = await run(process.execPath, ['--require', TSX, HOST, JSON.stringify(input)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: timeoutMs + 60_000,
  });
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Omit<StageAnswer, 'report'>;
  return { ...answer, report: JSON.parse(await readFile(reportFile, 'utf8')) as TestReport };
}

const NODE_TESTS = `const test = require('node:test');
const assert = require('node:assert/strict');
test('adds', () => assert.equal(1 + 1, 2));
test('greets in french', () => assert.equal('Bonjour', 'Hello'));
`;

describe('runtime.testCommand in the sandbox', () => {
  it('runs a node command, reads its TAP and records the counts and the failed test on the release', async () => {
    const dir = await serviceWith({ 'spec/greeter.test.cjs': NODE_TESTS });
    const answer = await testStage(dir, 'node --test');
    expect(answer.error).toEqual({
      name: 'TestsFailedError',
      message: '1 of 2 tests failed: greets in french (`node --test`)',
    });
    expect(answer.report).toEqual({
      command: 'node --test',
      source: 'tap',
      passed: 1,
      failed: 1,
      failures: ['greets in french'],
      exitCode: 1,
      timedOut: false,
    });
  }, 120_000);

  it('runs npm test when package.json has a test script (the npm CLI Sluice ships), with TAP added for node --test', async () => {
    const dir = await serviceWith({
      'package.json': JSON.stringify({ name: 'svc', version: '1.0.0', scripts: { test: 'node --test' } }),
      'test/greeter.test.cjs': NODE_TESTS,
    });
    const answer = await testStage(dir, undefined);
    expect(answer.error).toEqual({
      name: 'TestsFailedError',
      message: '1 of 2 tests failed: greets in french (`npm test`)',
    });
    expect(answer.report).toEqual({
      command: 'npm test',
      source: 'tap',
      passed: 1,
      failed: 1,
      failures: ['greets in french'],
      exitCode: 1,
      timedOut: false,
    });
  }, 120_000);

  it('kills a command that hangs at the timeout and records it', async () => {
    const dir = await serviceWith({
      'scripts/hang.cjs': "console.log('starting');\nsetInterval(() => {}, 1000);\n",
    });
    const answer = await testStage(dir, 'node scripts/hang.cjs', 5_000);
    expect(answer.error?.message).toBe(
      'Tests of svc did not finish within 5 s: `node scripts/hang.cjs` was stopped; its output ended with:\nstarting',
    );
    expect(answer.report).toMatchObject({
      command: 'node scripts/hang.cjs',
      source: 'exit-code',
      exitCode: null,
      timedOut: true,
      outputTail: 'starting',
    });
  }, 120_000);

  it('names a command that prints nothing and exits non-zero', async () => {
    const dir = await serviceWith({ 'scripts/quiet.cjs': 'process.exitCode = 3;\n' });
    const answer = await testStage(dir, 'node scripts/quiet.cjs');
    expect(answer.error?.message).toMatch(
      /^`node scripts\/quiet\.cjs` exited with code 3 and printed nothing, so there is no failed test to name: run it in svc's folder/,
    );
    expect(answer.report).toEqual({
      command: 'node scripts/quiet.cjs',
      source: 'exit-code',
      passed: 0,
      failed: 1,
      failures: [],
      exitCode: 3,
      timedOut: false,
    });
  }, 120_000);

  it('still runs the node:test files of runtime.tests when there is no command and no test script', async () => {
    const dir = await serviceWith({ 'test/ok.test.js': "require('node:test')('fine', () => {});\n" });
    const answer = await testStage(dir, undefined);
    expect(answer.result).toMatchObject({ passed: 1, failed: 0 });
    expect(answer.report).toMatchObject({
      command: 'node --test (1 file in test/)',
      source: 'tap',
      passed: 1,
    });
  }, 120_000);
});
