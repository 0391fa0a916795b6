import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How one node command ended, with the tail of what it printed (stdout and stderr interleaved). */
export interface NodeRun {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly output: string;
}

export interface NodeRunOptions {
  /** Working directory of the command. */
  readonly cwd: string;
  /** The whole environment of the command: nothing of this process's own is passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** After this, the command's whole process group is killed. */
  readonly timeoutMs: number;
}

/** How much of the output a run keeps (its tail): a chatty suite must not exhaust memory. */
export const OUTPUT_TAIL_CHARS = 200_000;

/** Kills every process of a group; a group already gone is fine. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes of group `pgid` that still run (zombies excluded: they hold no resources and cannot be killed). */
export function liveMembers(pgid: number): number {
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
 * the kernel cannot hang the runner.
 */
export async function killGroupAndWait(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let attempt = 0; attempt < 250; attempt += 1) {
    killGroup(pid);
    if (liveMembers(pid) === 0) return;
    await sleep(20);
  }
}

/**
 * Runs `node <args>` in a child process with exactly `env`. The child leads a process group of its own:
 * `node --test` runs each test file in a child of its own, so killing the command alone would leave those
 * running (in Lambda, on in the reused container). The group is killed at the timeout, and whatever is left of
 * it when the command ends goes with the run.
 */
export function runNode(args: readonly string[], options: NodeRunOptions): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      killGroupAndWait(child.pid).then(() => resolve({ exitCode, timedOut, output }), reject);
    });
  });
}
