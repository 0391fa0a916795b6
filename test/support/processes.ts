/** Which processes a test run left behind, read from /proc (Linux). */
import { readdir, readFile } from 'node:fs/promises';

/** The environment variable test/global-setup.ts sets for the run; every process started from it inherits it. */
export const RUN_MARKER = 'SLUICE_TEST_RUN';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
}

interface ProcEntry extends ProcessInfo {
  readonly zombie: boolean;
  readonly marked: boolean;
}

async function readProc(pid: number, marker: string | undefined): Promise<ProcEntry | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
    const environ = marker ? await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '') : '';
    return {
      pid,
      ppid: Number(ppid),
      command: command.slice(0, 300),
      zombie: state === 'Z',
      marked: marker !== undefined && environ.split('\0').includes(`${RUN_MARKER}=${marker}`),
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Processes still running that this run started: descendants of `root`, and any process carrying this run's
 * marker (an orphan whose parent exited is no longer a descendant). Vitest's own workers are not counted.
 */
export async function runProcesses(root = process.pid): Promise<ProcessInfo[]> {
  const marker = process.env[RUN_MARKER];
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const entries = (await Promise.all(pids.map((pid) => readProc(pid, marker)))).filter(
    (e): e is ProcEntry => e !== undefined && !e.zombie,
  );
  const children = new Map<number, ProcEntry[]>();
  for (const e of entries) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e]);
  const found = new Map<number, ProcEntry>();
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.set(child.pid, child);
      walk(child.pid);
    }
  };
  walk(root);
  for (const e of entries) if (e.marked && e.pid !== root) found.set(e.pid, e);
  return [...found.values()]
    .filter((e) => !/node_modules\/vitest\/dist\/workers\//.test(e.command))
    .map(({ pid, ppid, command }) => ({ pid, ppid, command }));
}

/**
 * The run's processes that are still there after a short grace period (a process told to stop may take a
 * moment to exit): returns as soon as there are none.
 */
export async function leftoverProcesses(graceMs = 5000): Promise<ProcessInfo[]> {
  const until = Date.now() + graceMs;
  for (;;) {
    const left = await runProcesses();
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
