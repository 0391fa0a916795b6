/**
 * The local test sandbox: the test runner as a process of its own, like the runner Lambda in AWS. It starts with
 * an explicit minimal environment (PATH only), not the runtime's; it runs in a temporary folder of its own,
 * removed afterwards; and it is not a descendant of the runtime: a launcher starts it in a new session and
 * exits, so the runner is re-parented and the runtime's environment is not among its ancestors' (a service test
 * reading /proc/<ppid>/environ up the chain finds no credential).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TestsFailedError } from '../../lambdas/core/errors';
import type { SandboxRequest, SandboxResult, TestSandbox } from '../../lambdas/core/ports';
import { killGroupAndWait } from '../../lambdas/test-runner/node-process';
import { bundleForFork } from '../bundle-for-fork';
import type { RunnerHostInput, RunnerHostMessage } from './protocol';

/** The runner process ended without a result (it crashed, or could not start). */
export class SandboxProcessError extends Error {
  override readonly name = 'SandboxProcessError';
}

export interface ProcessTestSandboxProps {
  /** Where the runner host is compiled to. */
  readonly workDir: string;
  /**
   * Time the runner gets past the request's timeout to stop its steps and answer; then its process group and
   * those of its steps are killed.
   * @default 30000
   */
  readonly graceMs?: number;
  /**
   * Parent folder of each run's own temporary folder.
   * @default os.tmpdir()
   */
  readonly tempRoot?: string;
  /**
   * The npm CLI (`npm/bin/npm-cli.js`) npm steps run with, as the runner Lambda's layer in AWS.
   * @default - the project's own `npm` dependency
   */
  readonly npmCli?: string;
}

/** The `npm` package Sluice depends on: the same CLI locally as in the runner Lambda's layer. */
export function projectNpmCli(): string {
  // The package exports only its package.json: the CLI is found beside it.
  return join(dirname(createRequire(__filename).resolve('npm/package.json')), 'bin', 'npm-cli.js');
}

/**
 * Starts "$@" (the runner) in a session of its own (`setsid`, util-linux), prints its pid, and exits: the runner
 * is re-parented. A shell, not node: it costs ~1 ms of CPU per run where a node launcher cost ~25 ms. A shell
 * gives a background command /dev/null as stdin, so the runner's input (this shell's stdin) goes on as fd 3;
 * `setsid` runs in the shell's process group, so it needs no fork and the runner keeps the pid `$!` names.
 */
const LAUNCHER = 'exec 3<&0; setsid "$@" <&3 3<&- & printf \'{"pid":%d}\\n\' "$!"';

const STDERR_TAIL = 4000;

/** Direct children of `pid` (read from /proc): the runner's steps, each the leader of its own group. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone between the listing and the read
    }
  }
  return found;
}

/**
 * Kills the runner's group and its steps' groups, and waits until they are gone. The runner is stopped first,
 * so it neither starts another step nor reports a killed step as its result meanwhile; its steps are listed
 * while they are still its children.
 */
async function killRunnerTree(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    // already gone
  }
  const steps = childrenOf(pid);
  await killGroupAndWait(pid);
  for (const step of steps) await killGroupAndWait(step);
}

export class ProcessTestSandbox implements TestSandbox {
  private host: Promise<string> | undefined;

  constructor(private readonly props: ProcessTestSandboxProps) {}

  async run(request: SandboxRequest): Promise<SandboxResult> {
    const hostFile = await this.hostFile();
    const scratch = await mkdtemp(join(this.props.tempRoot ?? tmpdir(), 'sluice-sandbox-'));
    try {
      return await this.launch(hostFile, {
        request,
        scratch,
        npmCli: this.props.npmCli ?? projectNpmCli(),
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The bundled runner host: bundled once, again if the file went away or the last bundling failed. */
  private async hostFile(): Promise<string> {
    const cached = await this.host?.catch(() => undefined);
    if (cached && existsSync(cached)) return cached;
    this.host = bundleForFork(__dirname, 'runner-host', this.props.workDir);
    return this.host;
  }

  private launch(hostFile: string, input: RunnerHostInput): Promise<SandboxResult> {
    return new Promise((resolve, reject) => {
      const launcher: ChildProcess = spawn(
        '/bin/sh',
        ['-c', LAUNCHER, 'sluice-launcher', process.execPath, hostFile],
        {
          cwd: input.scratch,
          // Explicit and minimal: nothing of the runtime's environment (credentials, tokens, NODE_OPTIONS).
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let pid: number | undefined;
      let message: Exclude<RunnerHostMessage, { pid: number }> | undefined;
      let stderr = '';
      let partial = '';
      launcher.stdout?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          let parsed: RunnerHostMessage;
          try {
            parsed = JSON.parse(line) as RunnerHostMessage;
          } catch {
            continue; // not a protocol line
          }
          if ('pid' in parsed) pid = parsed.pid;
          else message = parsed;
        }
      });
      launcher.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      let killedAtTimeout = false;
      let killing: Promise<void> = Promise.resolve();
      const timer = setTimeout(
        () => {
          killedAtTimeout = true;
          killing = killRunnerTree(pid);
        },
        input.request.timeoutMs + (this.props.graceMs ?? 30_000),
      );
      launcher.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      // 'close': the launcher has exited and every holder of its pipes (the runner among them) is gone.
      launcher.on('close', () => {
        clearTimeout(timer);
        // The backstop's kill may still be at the steps' groups (the pipes close when the runner dies).
        killing
          .then(() => killRunnerTree(pid))
          .then(() => {
            if (killedAtTimeout) resolve({ exitCode: null, timedOut: true, output: stderr });
            else if (message && 'result' in message) resolve(message.result);
            // As the runner Lambda's function error: the runner refused or failed the run.
            else if (message) reject(new TestsFailedError(`The test runner failed: ${message.error}`));
            else
              reject(
                new SandboxProcessError(
                  `The test runner process ended without a result: ${stderr.trim() || 'no output'}`,
                ),
              );
          }, reject);
      });
      launcher.stdin?.end(JSON.stringify(input));
    });
  }
}
