/** The runner as the test-runner Lambda runs it: a scratch folder (/tmp there) emptied before and after each run. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxRequest } from '../../../lambdas/core/ports';
import { packDirectory } from '../../../lambdas/runtime/checkout-archive';
import { runSandboxed } from '../../../lambdas/test-runner/sandbox-run';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** A request running `node --test` over one test file whose body follows the node:test preamble. */
async function request(body: string, timeoutMs = 20_000): Promise<SandboxRequest> {
  const dir = folder('sluice-runner-checkout-');
  writeFileSync(
    join(dir, 'x.test.cjs'),
    `const test = require('node:test');\nconst assert = require('node:assert/strict');\n${body}`,
  );
  const zip = await packDirectory(dir);
  return {
    checkout: Buffer.from(zip).toString('base64'),
    steps: [['--test', '--test-reporter=tap', 'x.test.cjs']],
    timeoutMs,
  };
}

describe('runSandboxed', () => {
  it('starts each run in an emptied scratch folder and leaves it empty', async () => {
    const scratch = folder('sluice-runner-scratch-');
    // Left by an earlier invocation of the same warm container, or by something it started.
    writeFileSync(join(scratch, 'planted'), 'tampered');
    const seen = await request(`
const { readdirSync } = require('node:fs');
const { dirname } = require('node:path');
const { tmpdir } = require('node:os');
test('sees a fresh scratch folder', () => {
  assert.deepEqual(readdirSync(dirname(tmpdir())).sort(), ['checkout', 'home', 'tmp']);
  assert.deepEqual(readdirSync(tmpdir()), []);
  assert.equal(process.env.HOME, dirname(tmpdir()) + '/home');
});
test('writes into it', () => require('node:fs').writeFileSync(require('node:path').join(tmpdir(), 'left'), 'x'));
`);
    const first = await runSandboxed(seen, { scratch });
    expect(first, first.output).toMatchObject({ exitCode: 0, timedOut: false });
    expect(readdirSync(scratch)).toEqual([]);
    const second = await runSandboxed(seen, { scratch });
    expect(second, second.output).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it('runs the steps in order and stops at the first that fails', async () => {
    const scratch = folder('sluice-runner-scratch-');
    const base = await request("test('passes', () => {});");
    const result = await runSandboxed(
      {
        ...base,
        steps: [
          ['-e', 'console.log("step one"); process.exit(3)'],
          ['-e', 'console.log("step two")'],
        ],
      },
      { scratch },
    );
    expect(result).toMatchObject({ exitCode: 3, timedOut: false });
    expect(result.output).toContain('step one');
    expect(result.output).not.toContain('step two');
  });

  it('holds the host’s bound over the request’s timeout', async () => {
    const scratch = folder('sluice-runner-scratch-');
    const hanging = await request(
      "test('hangs', () => new Promise(() => setInterval(() => {}, 1000)));",
      60_000,
    );
    const result = await runSandboxed(hanging, { scratch, maxTimeoutMs: 1_000 });
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('refuses a malformed request and an archive entry that leaves the checkout', async () => {
    const scratch = folder('sluice-runner-scratch-');
    await expect(
      runSandboxed({ checkout: '', steps: [], timeoutMs: 0 } as SandboxRequest, { scratch }),
    ).rejects.toMatchObject({
      name: 'InvalidSandboxRequestError',
      message: expect.stringContaining('steps must be a non-empty list'),
    });
    const escaping = Buffer.from(zipSync({ '../escaped.txt': new TextEncoder().encode('x') })).toString(
      'base64',
    );
    await expect(
      runSandboxed({ checkout: escaping, steps: [['-e', '']], timeoutMs: 5_000 }, { scratch }),
    ).rejects.toMatchObject({ name: 'UnsafeArchivePathError' });
    expect(readdirSync(scratch)).toEqual([]);
  });
});
