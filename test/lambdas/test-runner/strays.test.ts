/**
 * What the process-group kill cannot reach: a daemon that a service test starts in a session of its own. The
 * runner Lambda kills such strays before each run, so none reaches the next service's run in a warm container.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packDirectory } from '../../../lambdas/runtime/checkout-archive';
import { runSandboxed } from '../../../lambdas/test-runner/sandbox-run';
import { killStrays, strayProcesses } from '../../../lambdas/test-runner/strays';

const folders: string[] = [];
const marker = `sluice-stray-${randomBytes(6).toString('hex')}`;

/** Live processes whose command line holds this file's marker. */
function marked(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterEach(async () => {
  // Whatever the test left, by the marker only: the machine runs other processes of this user.
  await killStrays((pid) => marked().includes(pid));
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('killStrays', () => {
  it('finds and kills a daemon that left the run’s process group; never this process or its ancestors', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'sluice-stray-checkout-'));
    const scratch = mkdtempSync(join(tmpdir(), 'sluice-stray-scratch-'));
    folders.push(checkout, scratch);
    writeFileSync(
      join(checkout, 'daemon.test.cjs'),
      "const test = require('node:test');\nconst { spawn } = require('node:child_process');\n" +
        `test('starts a daemon in a session of its own', () => { spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { detached: true, stdio: 'ignore' }).unref(); });\n`,
    );
    const result = await runSandboxed(
      {
        checkout: Buffer.from(await packDirectory(checkout)).toString('base64'),
        steps: [['--test', 'daemon.test.cjs']],
        timeoutMs: 20_000,
      },
      { scratch },
    );
    expect(result, result.output).toMatchObject({ exitCode: 0, timedOut: false });
    // The group kill did not reach it: it would live on in a warm runner container.
    const daemons = marked();
    expect(daemons).toHaveLength(1);
    const strays = strayProcesses();
    expect(strays).toEqual(expect.arrayContaining(daemons));
    expect(strays).not.toContain(process.pid);
    expect(strays).not.toContain(process.ppid);

    expect(await killStrays((pid) => daemons.includes(pid))).toEqual(daemons);
    expect(marked()).toEqual([]);
  });
});
