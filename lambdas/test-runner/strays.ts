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

function uidOf(pid: number): number | undefined {
  try {
    const line = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
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
    .filter((pid) => !keep.has(pid) && uidOf(pid) === uid);
}

/**
 * Kills the stray processes (each with its process group) and waits until they are gone. `include` narrows
 * the kill (tests share the machine with other processes of the same user); the runner Lambda kills them all.
 */
export async function killStrays(include: (pid: number) => boolean = () => true): Promise<number[]> {
  const strays = strayProcesses().filter(include);
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await killGroupAndWait(pid);
  }
  return strays;
}
