/**
 * The sandbox for service code, with real processes: a Test handler process that holds credentials runs a
 * service's node:test files through the local sandbox (a runner process of its own), and the service's tests
 * look for what they must not find.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../../lambdas/runtime/checkout-archive';
import { liveMembers } from '../../../lambdas/test-runner/node-process';
import { ProcessTestSandbox } from '../../../local/sandbox/process-test-sandbox';
import { service } from '../../lib/fixtures';
import type { TestStageHostInput } from './test-stage-host';

const run = promisify(execFile);
const HOST = join(__dirname, 'test-stage-host.ts');
const TSX = createRequire(__filename).resolve('tsx/cjs');

/** What the Test Lambda's environment holds: its role's credentials, and the container endpoint for them. */
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIASENTINEL0000',
  AWS_SECRET_ACCESS_KEY: 'sentinel-secret-key',
  AWS_SESSION_TOKEN: 'sentinel-session-token',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/sentinel-credentials',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/sentinel-credentials',
  SLUICE_TABLE_NAME: 'sentinel-ledger',
};

const PREAMBLE = "const test = require('node:test');\nconst assert = require('node:assert/strict');\n";

// The tests run at once (each mostly waits on its processes, two on an 8 s timeout): folders go after the last.
const folders: string[] = [];
afterAll(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** A service whose test folder holds `tests` (file name → body after the node:test preamble). */
async function serviceWith(tests: Record<string, string>): Promise<string> {
  const dir = await folder('sluice-sandbox-service-');
  for (const [name, body] of Object.entries(tests)) {
    await mkdir(join(dir, 'test'), { recursive: true });
    await writeFile(join(dir, 'test', name), PREAMBLE + body);
  }
  return dir;
}

type HostAnswer =
  | { result: { passed: number; failed: number } }
  | { error: { name: string; message: string } };

/** Runs the Test stage in a process of its own, started with CREDENTIALS in its environment. */
async function testStage(serviceDir: string, timeoutMs = 60_000): Promise<HostAnswer> {
  const input: TestStageHostInput = {
    config: service('svc', { runtime: { tests: 'test' } }),
    serviceDir,
    workDir: await folder('sluice-sandbox-work-'),
    timeoutMs,
  };
  const { stdout } = await run(process.execPath, ['--require', TSX, HOST, JSON.stringify(input)], {
    env: { ...CREDENTIALS, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: timeoutMs + 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as HostAnswer;
}

describe.concurrent('the local test sandbox', () => {
  it('runs service tests where no credential is found: own environment, every ancestor’s environ', async () => {
    const dir = await serviceWith({
      'credentials.test.js': `
const { readFileSync } = require('node:fs');
/** The environ of every ancestor this process can read: node --test, the runner, and on up. */
function ancestors() {
  const found = [];
  for (let pid = process.ppid; pid > 1; ) {
    let environ;
    let stat;
    try {
      environ = readFileSync('/proc/' + pid + '/environ', 'utf8');
      stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    } catch {
      break; // not ours to read (another user's): the credentials we look for are not there either
    }
    found.push({ pid, environ: environ.split('\\0') });
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return found;
}
const suspicious = (entry) => /^(AWS_|SLUICE_)/.test(entry) || entry.includes('sentinel');
test('no AWS or Sluice variable in its own environment', () => {
  assert.deepEqual(Object.keys(process.env).filter((k) => suspicious(k + '=' + process.env[k])), []);
});
test('no container credentials endpoint', () => {
  assert.equal(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, undefined);
  assert.equal(process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, undefined);
});
test('no credential in the parent’s /proc/<ppid>/environ, nor in any ancestor’s', () => {
  const chain = ancestors();
  assert.ok(chain.length >= 1, 'reads at least its parent');
  const leaks = chain.flatMap((a) => a.environ.filter(suspicious).map((e) => a.pid + ' ' + e.split('=')[0]));
  assert.deepEqual(leaks, []);
});
`,
    });
    expect(await testStage(dir)).toEqual({
      result: expect.objectContaining({ passed: 3, failed: 0 }),
    });
  }, 120_000);

  it('empties the temporary folder between runs: a file one run writes is gone in the next', async () => {
    const dir = await serviceWith({
      'tmp.test.js': `
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const planted = join(tmpdir(), 'planted-by-an-earlier-run');
test('finds nothing an earlier run left', () => assert.equal(existsSync(planted), false));
test('leaves a file behind', () => writeFileSync(planted, 'tampered'));
`,
    });
    try {
      expect(await testStage(dir)).toMatchObject({ result: { passed: 2, failed: 0 } });
      expect(await testStage(dir)).toMatchObject({ result: { passed: 2, failed: 0 } });
    } finally {
      // Where it would land without the sandbox's own temporary folder.
      await rm(join(tmpdir(), 'planted-by-an-earlier-run'), { force: true });
    }
  }, 120_000);

  it('kills a hanging test at the timeout and leaves no process behind: runner, node --test, test file', async () => {
    const report = await folder('sluice-sandbox-report-');
    const dir = await serviceWith({
      'hang.test.js': `
const { readFileSync, writeFileSync } = require('node:fs');
const parentOf = (pid) => { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]); };
test('hangs', () => {
  const pids = { test: process.pid, nodeTest: process.ppid, runner: parentOf(process.ppid) };
  writeFileSync(${JSON.stringify(join(report, 'pids.json'))}, JSON.stringify(pids));
  return new Promise(() => setInterval(() => {}, 1000));
});
`,
    });
    // Long enough for node --test and the file to start on a busy machine (the file then records its pids).
    const answer = await testStage(dir, 8_000);
    expect(answer).toEqual({
      error: { name: 'TestsFailedError', message: expect.stringContaining('did not finish within 8 s') },
    });
    const pids = JSON.parse(await readFile(join(report, 'pids.json'), 'utf8')) as Record<string, number>;
    // The runner leads its group, node --test leads the test file's: both groups are empty, every pid gone.
    expect(liveMembers(pids.runner ?? -1)).toBe(0);
    expect(liveMembers(pids.nodeTest ?? -1)).toBe(0);
    for (const pid of Object.values(pids)) expect(running(pid), `pid ${pid}`).toBe(false);
  }, 120_000);
});

describe.concurrent('ProcessTestSandbox', () => {
  it('kills the runner with its steps’ process groups when the runner itself overruns', async () => {
    const report = await folder('sluice-sandbox-report-');
    const dir = await serviceWith({
      'hang.test.js': `
const { readFileSync, writeFileSync } = require('node:fs');
const parentOf = (pid) => { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]); };
test('hangs', () => {
  writeFileSync(${JSON.stringify(join(report, 'pids.json'))}, JSON.stringify({ test: process.pid, nodeTest: process.ppid, runner: parentOf(process.ppid) }));
  return new Promise(() => setInterval(() => {}, 1000));
});
`,
    });
    // A negative grace makes the runtime's backstop fire (at 8 s) before the runner's own timeout would.
    const sandbox = new ProcessTestSandbox({
      workDir: await folder('sluice-sandbox-host-'),
      graceMs: -20_000,
    });
    const result = await sandbox.run({
      checkout: Buffer.from(await packDirectory(dir)).toString('base64'),
      steps: [['--test', 'test/hang.test.js']],
      timeoutMs: 28_000,
    });
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
    const pids = JSON.parse(await readFile(join(report, 'pids.json'), 'utf8')) as Record<string, number>;
    expect(liveMembers(pids.runner ?? -1)).toBe(0);
    expect(liveMembers(pids.nodeTest ?? -1)).toBe(0);
    for (const pid of Object.values(pids)) expect(running(pid), `pid ${pid}`).toBe(false);
  }, 120_000);

  it('reports a request the runner refuses as failed tests, naming why', async () => {
    const sandbox = new ProcessTestSandbox({ workDir: await folder('sluice-sandbox-host-') });
    await expect(sandbox.run({ checkout: '', steps: [], timeoutMs: 1_000 })).rejects.toMatchObject({
      name: 'TestsFailedError',
      message: expect.stringMatching(/test runner failed: InvalidSandboxRequestError: .*steps must be/),
    });
  }, 120_000);
});

/** Whether `pid` is a live process (a zombie is not: it holds nothing and waits to be reaped). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const text = readFileSync(stat, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}
