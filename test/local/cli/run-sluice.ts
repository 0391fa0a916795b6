/**
 * Two ways to run the CLI from a test. `sluice` starts `node bin/sluice.js` as a user does: for what only a process
 * shows (argv through the bin script, exit codes, the output streams, the current folder). `sluiceInProcess` runs the
 * same entry (bin/sluice.ts `main`, which bin/sluice.js calls) in this worker with stdout and stderr captured: for a
 * command's parsing and messages, without a node start and tsx (~0.25 CPU-s) per run.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { vi } from 'vitest';
// The .ts file: '../../../bin/sluice' resolves to bin/sluice.js, the script itself.
import { main } from '../../../bin/sluice.ts';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'sluice.js');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/sluice.js ...args` in `cwd` (the repository by default). */
export function sluice(args: readonly string[], cwd = REPO_ROOT): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

/** bin/sluice.ts `main(args)` in this process, its stdout and stderr captured (and still restored if it throws). */
export async function sluiceInProcess(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
