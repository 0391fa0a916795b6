import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SandboxRequest, SandboxResult } from '../core/ports';
import { unpackInto } from '../runtime/checkout-archive';
import { type NodeRun, OUTPUT_TAIL_CHARS, runNode } from './node-process';

/** A sandbox request that is not one: the runner refuses it before running anything. */
export class InvalidSandboxRequestError extends Error {
  override readonly name = 'InvalidSandboxRequestError';
}

export interface SandboxRunOptions {
  /**
   * The folder the run owns: emptied before and after, so nothing one run leaves reaches the next. In Lambda
   * this is /tmp itself (a warm container keeps it between invocations).
   */
  readonly scratch: string;
  /**
   * Upper bound on the request's timeout, from the host (the runner Lambda's remaining time).
   * @default - the request's timeout
   */
  readonly maxTimeoutMs?: number;
}

function validate(request: SandboxRequest): void {
  const r = request as Partial<Record<keyof SandboxRequest, unknown>>;
  const problems: string[] = [];
  if (typeof r.checkout !== 'string') problems.push('checkout must be a base64 string');
  if (
    !Array.isArray(r.steps) ||
    r.steps.length === 0 ||
    !r.steps.every((s) => Array.isArray(s) && s.every((a) => typeof a === 'string'))
  ) {
    problems.push('steps must be a non-empty list of argument lists');
  }
  if (typeof r.timeoutMs !== 'number' || !(r.timeoutMs > 0)) problems.push('timeoutMs must be > 0');
  if (problems.length > 0)
    throw new InvalidSandboxRequestError(`Sandbox request refused: ${problems.join('; ')}`);
}

/** Removes everything inside `dir` (not `dir` itself: /tmp stays), creating it when missing. */
async function emptyFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
}

/**
 * Runs the request's steps in a fresh copy of its files, in an emptied scratch folder, with an environment built
 * here from nothing: PATH, a HOME and TMPDIR inside the scratch folder, NODE_ENV and TZ. Each step leads its own
 * process group, killed whole at the timeout and when the step ends.
 */
export async function runSandboxed(
  request: SandboxRequest,
  options: SandboxRunOptions,
): Promise<SandboxResult> {
  validate(request);
  const { scratch } = options;
  const timeoutMs = Math.min(request.timeoutMs, options.maxTimeoutMs ?? request.timeoutMs);
  await emptyFolder(scratch);
  try {
    const checkout = join(scratch, 'checkout');
    const home = join(scratch, 'home');
    const tmp = join(scratch, 'tmp');
    await Promise.all([checkout, home, tmp].map((d) => mkdir(d, { recursive: true })));
    await unpackInto(Buffer.from(request.checkout, 'base64'), checkout);
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TMPDIR: tmp,
      NODE_ENV: 'test',
      TZ: 'UTC',
    };
    // A duration, not a date: monotonic time is what a timeout needs.
    const deadline = performance.now() + timeoutMs;
    let output = '';
    let last: NodeRun = { exitCode: 0, timedOut: false, output: '' };
    for (const args of request.steps) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        last = { exitCode: null, timedOut: true, output: '' };
        break;
      }
      last = await runNode(args, { cwd: checkout, env, timeoutMs: remaining });
      output = (output + last.output).slice(-OUTPUT_TAIL_CHARS);
      if (last.timedOut || last.exitCode !== 0) break;
    }
    return { exitCode: last.exitCode, timedOut: last.timedOut, output };
  } finally {
    await emptyFolder(scratch);
  }
}
