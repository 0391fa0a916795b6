/**
 * The parent side of a version host: bundles version-host.ts once, forks it with plain node (no TypeScript
 * loader in the child, like Lambda's runtime), waits for its port, and stops it.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bundleForFork } from '../../bundle-for-fork';
import type { VersionHostConfig, VersionHostMessage } from './protocol';

/** Compiled host files by output folder, so each target bundles the host once. */
const compiled = new Map<string, Promise<string>>();

/** Bundles version-host.ts into `dir` (again if the file went away) and returns the file to fork. */
export async function compileVersionHost(dir: string): Promise<string> {
  const cached = compiled.get(dir);
  if (cached) {
    const file = await cached.catch(() => undefined);
    if (file && existsSync(file)) return file;
    if (compiled.get(dir) === cached) compiled.delete(dir);
    return compileVersionHost(dir);
  }
  const result = bundleForFork(__dirname, 'version-host', dir);
  compiled.set(dir, result);
  return result;
}

export interface VersionProcessOptions {
  readonly hostFile: string;
  readonly config: VersionHostConfig;
  /** @default 10 000 */
  readonly startTimeoutMs?: number;
  /** Called when the process ends without being asked to (a crash). */
  readonly onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null, stderr: string) => void;
  /** Each line the version writes to stdout (EMF metric lines among them). @default - discarded */
  readonly onStdoutLine?: (line: string) => void;
}

/** Lines of the child's stderr kept for error messages. */
const STDERR_TAIL = 4000;

export class VersionStartError extends Error {
  override readonly name = 'VersionStartError';
}

/** A running version host. */
export class VersionProcess {
  private stopping = false;
  private exited: Promise<void>;
  private stderrTail = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    exited: Promise<void>,
  ) {
    this.exited = exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static start(options: VersionProcessOptions): Promise<VersionProcess> {
    const { config } = options;
    const child = fork(options.hostFile, [JSON.stringify(config)], {
      cwd: config.dir,
      // Plain node: neither vitest's nor tsx's loaders belong in a Lambda-like runtime.
      execArgv: ['--enable-source-maps'],
      // Lambda gives a function its own environment, not the pipeline's (no credentials, no NODE_OPTIONS).
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        NODE_ENV: 'production',
        AWS_REGION: 'local',
        AWS_LAMBDA_FUNCTION_NAME: `sluice-${config.service}`,
        AWS_LAMBDA_FUNCTION_VERSION: config.version,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let stderr = '';
    const keep = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    };
    child.stderr?.on('data', keep);
    // Drained so a chatty service never blocks on a full pipe; lines go to onStdoutLine.
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!options.onStdoutLine) return;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = (lines.pop() ?? '').slice(-65_536);
      for (const line of lines) options.onStdoutLine(line);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const label = `${config.service} version ${config.version}`;
    const timeoutMs = options.startTimeoutMs ?? 10_000;

    return new Promise<VersionProcess>((resolve, reject) => {
      let done = false;
      const settle = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        outcome();
      };
      const failWith = (why: string) =>
        settle(() => {
          child.kill('SIGKILL');
          const tail = stderr.trim().split('\n').slice(-5).join('\n');
          reject(new VersionStartError(`${label} did not start: ${why}${tail ? `\n${tail}` : ''}`));
        });
      const onMessage = (message: VersionHostMessage) => {
        if (message.type === 'ready') {
          settle(() => {
            const version = new VersionProcess(child, message.port, exited);
            version.stderrTail = stderr;
            child.stderr?.off('data', keep);
            child.stderr?.on('data', (chunk: Buffer) => {
              version.stderrTail = (version.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
            });
            child.once('exit', (code, signal) => {
              if (!version.stopping) options.onUnexpectedExit?.(code, signal, version.stderrTail);
            });
            resolve(version);
          });
        } else {
          // Keep the reason the host gave; its stderr adds nothing to it.
          settle(() => {
            child.kill('SIGKILL');
            reject(new VersionStartError(`${label} did not start: ${message.message}`));
          });
        }
      };
      child.on('message', onMessage);
      child.once('error', (error) => failWith(error.message));
      child.once('exit', (code, signal) =>
        failWith(`the process exited (${signal ?? `code ${code}`}) before it listened`),
      );
      const timer = setTimeout(() => failWith(`no port reported within ${timeoutMs} ms`), timeoutMs);
    });
  }

  /** The last lines the version wrote to stderr (its invocation errors, for diagnosis). */
  get stderr(): string {
    return this.stderrTail;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Idempotent. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, forced]);
    clearTimeout(timer);
    await this.exited;
  }

  /** For process 'exit' hooks, where nothing asynchronous runs. */
  killNow(): void {
    this.stopping = true;
    if (this.running) this.child.kill('SIGKILL');
  }
}
