import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestRun {
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly string[];
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/** Parses node:test's TAP summary (`# pass N`, `# fail N`) and the names of failed tests. */
export function parseTap(output: string): Pick<TestRun, 'passed' | 'failed' | 'failures'> {
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  const failures = [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1].trim());
  return { passed: count('pass'), failed: count('fail'), failures };
}

/** Kills every process of a group; a group already gone is fine. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes of group `pgid` that still run (zombies excluded: they hold no resources and cannot be killed). */
function liveMembers(pgid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') count += 1;
    } catch {
      // gone between the listing and the read
    }
  }
  return count;
}

/**
 * SIGKILL is delivered when the target is next scheduled, so on a busy machine the group can outlive
 * `kill()` by a moment; the run is over only once its processes are gone. Bounded, so a process stuck in
 * the kernel cannot hang the Test Lambda.
 */
async function killGroupAndWait(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let attempt = 0; attempt < 250; attempt += 1) {
    killGroup(pid);
    if (liveMembers(pid) === 0) return;
    await sleep(20);
  }
}

/**
 * Runs bundled test files with `node --test` in a child process. The child gets a clean environment:
 * in Lambda the parent's environment holds the pipeline role's credentials, which service tests must not see.
 * It leads a process group of its own: `node --test` runs each file in a child of its own, so killing the
 * runner alone would leave those running (in Lambda, on in the reused container).
 */
export function runNodeTests(files: readonly string[], cwd: string, timeoutMs: number): Promise<TestRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...files], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, NODE_ENV: 'test', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const append = (chunk: Buffer) => {
      // Keep the tail only: a chatty suite must not exhaust memory.
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      // Whatever the tests started and left behind goes with the run.
      killGroupAndWait(child.pid).then(
        () => resolve({ ...parseTap(output), exitCode, timedOut, output }),
        reject,
      );
    });
  });
}
