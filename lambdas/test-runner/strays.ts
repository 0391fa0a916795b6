import { readdirSync, readFileSync } from 'node:fs';
import { killGroupAndWait } from './node-process';

/** Reads /proc/<pid>/stat's parent pid, or undefined when the process is gone or not readable. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The real uid of a live process; undefined for a zombie (it holds nothing and cannot be killed) or one gone. */
function liveUidOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return undefined;
    const line = /^Uid:\s+(\d+)/m.exec(status);
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Processes of this user that are neither this process nor one of its ancestors. In the runner's execution
 * environment (the runtime and nothing else) these can only be what an earlier run left: a daemon that left
 * its process group (setsid, a detached spawn), which the group kill cannot reach.
 */
export function strayProcesses(self = process.pid): number[] {
  const uid = process.getuid?.();
  if (uid === undefined) return [];
  const keep = new Set<number>();
  for (
    let pid: number | undefined = self;
    pid !== undefined && pid > 0 && !keep.has(pid);
    pid = parentOf(pid)
  ) {
    keep.add(pid);
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => !keep.has(pid) && liveUidOf(pid) === uid);
}

/**
 * Stops, then kills the stray processes (each with its process group), until none is left: a stray that starts
 * another while it is being killed is found on the next pass. Stopped first, so none can start another between
 * the listing and its kill. `include` narrows the kill (tests share the machine with other processes of the same
 * user); the runner Lambda kills them all. Returns the pids killed.
 */
export async function killStrays(include: (pid: number) => boolean = () => true): Promise<number[]> {
  const killed: number[] = [];
  for (let pass = 0; pass < 20; pass += 1) {
    const strays = strayProcesses().filter(include);
    if (strays.length === 0) break;
    for (const pid of strays) signal(pid, 'SIGSTOP');
    for (const pid of strays) {
      signal(pid, 'SIGKILL');
      await killGroupAndWait(pid);
      killed.push(pid);
    }
  }
  return killed;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
