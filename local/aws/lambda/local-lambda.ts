/**
 * The local stand-in for Lambda: each published version of a function is a real process hosting its bundle, and
 * each function has a `live` alias, a weighted HTTP router in front of its versions.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { unzipSync } from 'fflate';
import { type AliasWeights, LocalAlias, type RequestSample } from './alias';
import { type HttpAnswer, httpCall, NoAnswerError } from './http-call';
import type { Invocation } from './invocation-metrics';
import { DURATION_HEADER, INVOCATION_ERROR_HEADER, invokePath } from './protocol';
import { compileVersionHost, VersionProcess } from './version-process';

export interface LocalLambdaOptions {
  /** Scratch space for unpacked versions: `<workDir>/<function>/v<N>/`. */
  readonly workDir: string;
  /** Longest a version may take to answer one request. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Longest a version may take to load and listen. @default 10 000 */
  readonly startTimeoutMs?: number;
  /** Each line a version writes to stdout, which CloudWatch Logs would receive. @default - discarded */
  readonly onLogLine?: (fn: string, version: string, line: string) => void;
  /** Each invocation, through the alias or of a version, for the metrics Lambda publishes. @default - none */
  readonly onInvocation?: (invocation: Invocation) => void;
  /** The function's name in metrics and logs. @default - the key it is published under */
  readonly functionNameOf?: (fn: string) => string;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
}

/** The alias every function has: `live`, as the SluiceService construct names it. */
export const LIVE_ALIAS_NAME = 'live';

/** Lambda's InvalidParameterValueException for a zip it cannot use. */
export class InvalidZipFileError extends Error {
  override readonly name = 'InvalidParameterValueException';
}

/** Lambda's ResourceNotFoundException: no such function or version. */
export class FunctionVersionNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

export interface RunningVersion {
  readonly service: string;
  readonly version: string;
  readonly pid: number;
  readonly port: number;
}

interface VersionEntry {
  readonly version: string;
  readonly releaseId: string;
  readonly dir: string;
  readonly handler: string;
  process?: VersionProcess;
  starting?: Promise<VersionProcess>;
}

interface FunctionState {
  readonly name: string;
  readonly alias: LocalAlias;
  readonly versions: Map<string, VersionEntry>;
  next: number;
}

/** Zip entry names become paths under the version folder; none may leave it. */
function safeEntryPath(name: string): string {
  const path = normalize(name);
  if (path.startsWith('..') || path.startsWith('/') || path.includes('\0'))
    throw new InvalidZipFileError(`zip entry ${name} leaves the version folder`);
  return path;
}

export class LocalLambda {
  private readonly functions = new Map<string, Promise<FunctionState>>();
  // Synchronous views, for aliasOf() and the exit hook.
  private readonly aliases = new Map<string, LocalAlias>();
  private readonly versionsByFunction = new Map<string, Map<string, VersionEntry>>();
  private readonly requestTimeoutMs: number;
  private readonly log: (line: string) => void;
  private closing: Promise<void> | undefined;
  private exitHookInstalled = false;
  /** Synchronous last resort: a parent that exits takes its versions with it (they also leave on IPC disconnect). */
  private readonly exitHook = () => {
    for (const entry of this.allVersions()) entry.process?.killNow();
  };

  constructor(private readonly options: LocalLambdaOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.log = options.log ?? (() => undefined);
  }

  /**
   * UpdateFunctionCode + PublishVersion: unpacks the zip as the function's next version and starts its process.
   * Idle versions other than `keep` and the alias's are stopped (they restart on demand). `source` names the
   * zip in error messages.
   */
  async publishVersion(
    fn: string,
    releaseId: string,
    handler: string,
    zip: { readonly bytes: Uint8Array; readonly source: string },
    keep: readonly string[] = [],
  ): Promise<{ version: string; port: number }> {
    this.assertOpen();
    const state = await this.functionState(fn);
    // Numbered before any await, so concurrent publishes never share a number.
    const version = String(state.next++);
    const dir = join(this.options.workDir, fn, `v${version}`);
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(zip.bytes);
    } catch (error) {
      throw new InvalidZipFileError(`${zip.source} is not a readable zip: ${(error as Error).message}`);
    }
    if (!files['index.js']) {
      const names = Object.keys(files);
      throw new InvalidZipFileError(
        `${zip.source} has no index.js at its root (it holds ${names.length ? names.slice(0, 10).join(', ') : 'nothing'})`,
      );
    }
    await rm(dir, { recursive: true, force: true });
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      const file = join(dir, safeEntryPath(name));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
    const entry: VersionEntry = { version, releaseId, dir, handler };
    state.versions.set(version, entry);
    await this.stopIdle(state, [version, ...keep]);
    const host = await this.ensureEntryRunning(state, entry);
    return { version, port: host.port };
  }

  /** Invoke with a version qualifier: one HTTP request to that version's process. */
  invokeVersion(
    fn: string,
    version: string,
    request: { method: string; path: string; body?: string },
  ): Promise<HttpAnswer> {
    return this.invokeEntry(fn, version, request);
  }

  /**
   * Invoke with a version qualifier and an event (Lambda's Invoke API on the version's port): the handler gets the
   * event itself, not a function URL event. The answer carries the result as JSON, or the error document.
   */
  invokeVersionEvent(fn: string, version: string, event: unknown): Promise<HttpAnswer> {
    return this.invokeEntry(fn, version, {
      method: 'POST',
      path: invokePath(this.functionName(fn)),
      body: JSON.stringify(event),
    });
  }

  /** Whether `version` of `fn` has been published. */
  async hasVersion(fn: string, version: string): Promise<boolean> {
    return (await this.functions.get(fn))?.versions.has(version) ?? false;
  }

  /** The version the `live` alias points at (its primary version, not a weighted additional one). */
  async liveVersion(fn: string): Promise<string | undefined> {
    return (await this.functions.get(fn))?.alias.current.live;
  }

  /** The function's `live` alias, once its first version is published. */
  aliasOf(fn: string): LocalAlias | undefined {
    return this.aliases.get(fn);
  }

  /** UpdateAlias: the alias's version and an additional version with its weight. */
  async updateAlias(fn: string, weights: AliasWeights): Promise<void> {
    const state = await this.requireFunction(fn);
    state.alias.route(weights);
  }

  /** Starts the version's process again if it is not running. */
  async ensureRunning(fn: string, version: string): Promise<void> {
    const state = await this.requireFunction(fn);
    const entry = state.versions.get(version);
    if (!entry) throw new FunctionVersionNotFoundError(`${fn} has no version ${version}`);
    await this.ensureEntryRunning(state, entry);
  }

  /** Stops the process of a version that no longer gets traffic (it restarts on demand). */
  async stopVersion(fn: string, version: string): Promise<void> {
    const state = await this.functions.get(fn);
    const entry = state?.versions.get(version);
    const running = entry?.process;
    if (!entry || !running) return;
    entry.process = undefined;
    await running.stop();
  }

  /** The version processes running now. */
  versionProcesses(): RunningVersion[] {
    const running: RunningVersion[] = [];
    for (const [service, entries] of this.versionsByFunction) {
      for (const entry of entries.values()) {
        const p = entry.process;
        if (p?.running && p.pid !== undefined)
          running.push({ service, version: entry.version, pid: p.pid, port: p.port });
      }
    }
    return running;
  }

  /** Stops every version process and alias. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const entries = this.allVersions();
      await Promise.allSettled(entries.map((entry) => entry.starting));
      await Promise.allSettled(entries.map((entry) => entry.process?.stop()));
      await Promise.allSettled([...this.aliases.values()].map((alias) => alias.close()));
      if (this.exitHookInstalled) process.off('exit', this.exitHook);
      this.exitHookInstalled = false;
    })();
    return this.closing;
  }

  private async invokeEntry(
    fn: string,
    version: string,
    request: { method: string; path: string; body?: string },
  ): Promise<HttpAnswer> {
    this.assertOpen();
    const state = await this.functions.get(fn);
    const entry = state?.versions.get(version);
    if (!state || !entry) {
      throw new FunctionVersionNotFoundError(
        `${fn} has no version ${version} (versions: ${state ? [...state.versions.keys()].join(', ') || 'none' : 'none'})`,
      );
    }
    const host = await this.ensureEntryRunning(state, entry);
    const startedAt = Date.now();
    const invoked = (functionError: boolean, durationMs: number) =>
      this.options.onInvocation?.({
        functionName: this.functionName(fn),
        version,
        startedAt,
        durationMs,
        functionError,
      });
    try {
      const answer = await httpCall({
        port: host.port,
        method: request.method,
        path: request.path,
        ...(request.body !== undefined
          ? { body: request.body, headers: { 'content-type': 'application/json' } }
          : {}),
        timeoutMs: this.requestTimeoutMs,
      });
      const reported = Number(answer.headers[DURATION_HEADER]);
      invoked(
        answer.headers[INVOCATION_ERROR_HEADER] !== undefined,
        Number.isFinite(reported) ? reported : answer.latencyMs,
      );
      return answer;
    } catch (error) {
      if (error instanceof NoAnswerError) invoked(true, error.latencyMs);
      throw error;
    }
  }

  private functionName(fn: string): string {
    return this.options.functionNameOf?.(fn) ?? fn;
  }

  /** An alias invocation: Lambda's metrics name the alias and the version that ran. */
  private aliasInvocation(fn: string, sample: RequestSample): void {
    if (!sample.invoked) return;
    this.options.onInvocation?.({
      functionName: this.functionName(fn),
      version: sample.version,
      alias: LIVE_ALIAS_NAME,
      startedAt: sample.startedAt,
      durationMs: sample.durationMs,
      functionError: sample.functionError,
    });
  }

  private allVersions(): VersionEntry[] {
    return [...this.versionsByFunction.values()].flatMap((versions) => [...versions.values()]);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The local Lambda is closed');
  }

  private async requireFunction(fn: string): Promise<FunctionState> {
    const state = await this.functions.get(fn);
    if (!state) throw new FunctionVersionNotFoundError(`${fn} has no published version`);
    return state;
  }

  private functionState(name: string): Promise<FunctionState> {
    let state = this.functions.get(name);
    if (!state) {
      const versions = new Map<string, VersionEntry>();
      state = LocalAlias.start({
        service: name,
        portOf: (version) => {
          const p = versions.get(version)?.process;
          return p?.running ? p.port : undefined;
        },
        requestTimeoutMs: this.requestTimeoutMs,
      }).then((alias) => {
        alias.onSample((sample) => this.aliasInvocation(name, sample));
        this.aliases.set(name, alias);
        this.versionsByFunction.set(name, versions);
        return { name, alias, versions, next: 1 };
      });
      state.catch(() => this.functions.delete(name));
      this.functions.set(name, state);
    }
    return state;
  }

  private ensureEntryRunning(state: FunctionState, entry: VersionEntry): Promise<VersionProcess> {
    if (entry.process?.running) return Promise.resolve(entry.process);
    entry.starting ??= (async () => {
      try {
        const hostFile = await compileVersionHost(join(this.options.workDir, '.version-host'));
        const started = await VersionProcess.start({
          hostFile,
          config: { dir: entry.dir, handler: entry.handler, service: state.name, version: entry.version },
          ...(this.options.startTimeoutMs ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
          onStdoutLine: (line) => this.options.onLogLine?.(state.name, entry.version, line),
          onUnexpectedExit: (code, signal, stderr) => {
            const last = stderr.trim().split('\n').pop();
            this.log(
              `${state.name}: v${entry.version} exited unexpectedly (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`,
            );
          },
        });
        if (!this.exitHookInstalled) {
          process.on('exit', this.exitHook);
          this.exitHookInstalled = true;
        }
        entry.process = started;
        if (this.closing) {
          await started.stop();
          throw new Error('The local Lambda is closed');
        }
        return started;
      } finally {
        entry.starting = undefined;
      }
    })();
    return entry.starting;
  }

  /**
   * Published versions that never went live stay idle until a newer one replaces them; stop their processes so
   * a long-running runtime holds at most the alias's versions, the ones in use and the newest per function.
   */
  private async stopIdle(state: FunctionState, keep: readonly string[]): Promise<void> {
    const { live, target } = state.alias.current;
    const kept = new Set([...keep, live, target?.version]);
    const idle = [...state.versions.values()].filter((entry) => !kept.has(entry.version) && entry.process);
    await Promise.all(idle.map((entry) => this.stopVersion(state.name, entry.version)));
  }
}
