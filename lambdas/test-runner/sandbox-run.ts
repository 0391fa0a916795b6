import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { zipSync } from 'fflate';
import type { CollectedFiles, SandboxRequest, SandboxResult, SandboxStep } from '../core/ports';
import { MAX_INLINE_ARCHIVE_BYTES, packDirectory, unpackInto } from '../runtime/checkout-archive';
import { type NodeRun, OUTPUT_TAIL_CHARS, runNode } from './node-process';
import {
  isNpmStep,
  type NpmFolders,
  npmEnv,
  npmrcSecrets,
  npmStepProblem,
  prepareNpm,
  redact,
} from './npm-step';

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
  /**
   * The npm CLI's entry (`npm/bin/npm-cli.js`) npm steps run with `node`: the runner Lambda's layer, the
   * project's own `npm` package locally.
   * @default - npm steps are refused
   */
  readonly npmCli?: string;
}

function stepProblem(step: SandboxStep, options: SandboxRunOptions): string | undefined {
  if (isNpmStep(step)) {
    if (!options.npmCli) return 'npm steps need the npm CLI, which this runner does not have';
    return npmStepProblem(step);
  }
  if (!Array.isArray(step) || !step.every((a) => typeof a === 'string')) {
    return 'steps must be a non-empty list of argument lists or npm steps';
  }
  return undefined;
}

function validate(request: SandboxRequest, options: SandboxRunOptions): void {
  const r = request as Partial<Record<keyof SandboxRequest, unknown>>;
  const problems: string[] = [];
  if (typeof r.checkout !== 'string') problems.push('checkout must be a base64 string');
  if (!Array.isArray(r.steps) || r.steps.length === 0) {
    problems.push('steps must be a non-empty list of argument lists or npm steps');
  } else {
    for (const step of r.steps as SandboxStep[]) {
      const problem = stepProblem(step, options);
      if (problem && !problems.includes(problem)) problems.push(problem);
    }
  }
  if (typeof r.timeoutMs !== 'number' || !(r.timeoutMs > 0)) problems.push('timeoutMs must be > 0');
  if (r.npmrc !== undefined && typeof r.npmrc !== 'string') problems.push('npmrc must be a string');
  if (r.collect !== undefined && (typeof r.collect !== 'string' || !insideFolder('/c', r.collect))) {
    problems.push('collect must be a folder inside the checkout');
  }
  if (problems.length > 0)
    throw new InvalidSandboxRequestError(`Sandbox request refused: ${problems.join('; ')}`);
}

function insideFolder(root: string, path: string): boolean {
  return resolve(root, path).startsWith(`${resolve(root)}${sep}`);
}

/** The `collect` folder packed; inline only up to MAX_INLINE_ARCHIVE_BYTES (a Lambda answer is at most 6 MB). */
async function collectFolder(checkout: string, folder: string): Promise<CollectedFiles> {
  const dir = join(checkout, folder);
  // No folder (an install with nothing to install) comes back as an empty archive.
  const zip = existsSync(dir) ? await packDirectory(dir) : zipSync({});
  if (zip.byteLength > MAX_INLINE_ARCHIVE_BYTES) return { bytes: zip.byteLength };
  return { zip: Buffer.from(zip).toString('base64'), bytes: zip.byteLength };
}

/** Removes everything inside `dir` (not `dir` itself: /tmp stays), creating it when missing. */
async function emptyFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
}

/** npm commands that need the registry and run none of the service's code (install scripts the catalog allows aside). */
const REGISTRY_COMMANDS: ReadonlySet<string> = new Set(['ci', 'audit']);

/** Empties the run's npmrc, so later steps see no registry token. */
async function forgetNpmrc(npm: NpmFolders): Promise<void> {
  await writeFile(npm.userconfig, '', { mode: 0o600 });
}

/**
 * Runs the request's steps in a fresh copy of its files, in an emptied scratch folder, with an environment built
 * here from nothing: PATH, a HOME and TMPDIR inside the scratch folder, NODE_ENV and TZ. Each step leads its own
 * process group, killed whole at the timeout and when the step ends. npm steps run the npm CLI the runner was
 * given, with its config and cache in the scratch folder and the request's npmrc (tokens blanked in the output).
 */
export async function runSandboxed(
  request: SandboxRequest,
  options: SandboxRunOptions,
): Promise<SandboxResult> {
  validate(request, options);
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
    const npm: NpmFolders | undefined = request.steps.some(isNpmStep)
      ? await prepareNpm(scratch, request.npmrc)
      : undefined;
    const secrets = npmrcSecrets(request.npmrc);
    // A duration, not a date: monotonic time is what a timeout needs.
    const deadline = performance.now() + timeoutMs;
    let output = '';
    let last: NodeRun = { exitCode: 0, timedOut: false, output: '' };
    for (const step of request.steps) {
      // The registry's npmrc (its token) is for the install and the audit only: blanked before the first step that
      // runs the service's own code (npm test, npm run, node), which could otherwise read it from its file.
      if (npm && !(isNpmStep(step) && REGISTRY_COMMANDS.has(step.npm[0] ?? ''))) await forgetNpmrc(npm);
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        last = { exitCode: null, timedOut: true, output: '' };
        break;
      }
      last =
        isNpmStep(step) && npm && options.npmCli
          ? await runNode([options.npmCli, ...step.npm], {
              cwd: checkout,
              env: npmEnv(env, npm),
              timeoutMs: remaining,
            })
          : await runNode(step as readonly string[], { cwd: checkout, env, timeoutMs: remaining });
      output = (output + redact(last.output, secrets)).slice(-OUTPUT_TAIL_CHARS);
      if (last.timedOut || last.exitCode !== 0) break;
    }
    const passed = !last.timedOut && last.exitCode === 0;
    const collected =
      passed && request.collect !== undefined ? await collectFolder(checkout, request.collect) : undefined;
    return { exitCode: last.exitCode, timedOut: last.timedOut, output, ...(collected && { collected }) };
  } finally {
    await emptyFolder(scratch);
  }
}
