/**
 * Watches the local git repositories of the catalog's services: when a tracked branch's head moves, the push
 * goes to the local event bus as a normalized push event, and the same router handler that runs in AWS starts
 * the releases. Polling the branch heads here is the local stand-in for CodeCommit's events; nothing polls inside
 * the state machine.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Catalog } from '../lambdas/core/catalog/types';
import type { PushEvent } from '../lambdas/core/push-routing';
import type { RouteOutcome } from '../lambdas/router/router';
import { FULL_SHA, type LocalGitSource } from './adapters/git-source';

const run = promisify(execFile);

export interface LocalGitWatcherOptions {
  readonly catalog: Catalog;
  /** Resolves each service's repository folder and the files a push changed. */
  readonly source: LocalGitSource;
  /** Where pushes go: the local event bus, whose router starts the releases. */
  readonly bus: { route(push: PushEvent): Promise<RouteOutcome> };
  /** How often each tracked branch is checked. @default 1000 */
  readonly intervalMs?: number;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
  /** Called after the router handled a push. @default - nothing */
  readonly onRouted?: (push: PushEvent, outcome: RouteOutcome) => void;
}

/**
 * The head of `branch` read from git's files ref store the way git resolves it (the loose ref, else its line in
 * packed-refs), or undefined when only git can say: no such ref in either, or a symbolic ref. A poll is a file
 * read instead of a `git` process, which from a large Node process costs a fork of its whole address space. Git
 * moves a loose ref by renaming a lock file over it, so a read sees the old head or the new one, never a mix.
 */
export async function headFromRefFiles(gitDir: string, branch: string): Promise<string | undefined> {
  const loose = await readFile(join(gitDir, 'refs', 'heads', ...branch.split('/')), 'utf8').catch(
    () => undefined,
  );
  if (loose !== undefined) {
    const sha = loose.trim();
    return FULL_SHA.test(sha) ? sha : undefined;
  }
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  const ref = ` refs/heads/${branch}`;
  const sha = packed
    .split('\n')
    .find((line) => line.endsWith(ref))
    ?.slice(0, -ref.length);
  return sha !== undefined && FULL_SHA.test(sha) ? sha : undefined;
}

/**
 * The folder holding the refs of the repository at `dir` when it uses the files ref store: `<dir>/.git`, or
 * `dir` for a bare repository. Undefined (ask git every time) for a linked worktree or submodule (`.git` is a
 * file pointing elsewhere) and for the reftable store.
 */
export function filesRefStoreOf(dir: string): string | undefined {
  const dotGit = join(dir, '.git');
  const dotGitStat = statSync(dotGit, { throwIfNoEntry: false });
  let gitDir: string;
  if (dotGitStat) {
    if (!dotGitStat.isDirectory()) return undefined;
    gitDir = dotGit;
  } else if (existsSync(join(dir, 'HEAD'))) {
    gitDir = dir;
  } else {
    return undefined;
  }
  return existsSync(join(gitDir, 'reftable')) ? undefined : gitDir;
}

interface Tracked {
  readonly dir: string;
  readonly repository: string;
  readonly branch: string;
  head?: string;
  missingReported?: boolean;
}

export class LocalGitWatcher {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly options: LocalGitWatcherOptions,
    private readonly tracked: readonly Tracked[],
  ) {}

  /** Records the current head of every tracked branch (not a push), then checks every `intervalMs`. */
  static async start(options: LocalGitWatcherOptions): Promise<LocalGitWatcher> {
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 50) {
      throw new Error(
        `LocalGitWatcher: intervalMs must be at least 50; received ${JSON.stringify(intervalMs)}.`,
      );
    }
    const byKey = new Map<string, Tracked>();
    for (const service of options.catalog.services) {
      const dir = options.source.repositoryDir(service.source);
      const key = `${dir}\0${service.source.branch}\0${service.source.repository}`;
      if (!byKey.has(key))
        byKey.set(key, { dir, repository: service.source.repository, branch: service.source.branch });
    }
    const watcher = new LocalGitWatcher(options, [...byKey.values()]);
    for (const t of watcher.tracked) t.head = await watcher.headOf(t);
    watcher.timer = setInterval(() => {
      watcher.polling ??= watcher.poll().finally(() => {
        watcher.polling = undefined;
      });
    }, intervalMs);
    return watcher;
  }

  /** The branches being watched: repository folder, branch, last head seen. */
  get branches(): readonly { dir: string; branch: string; head?: string }[] {
    return this.tracked.map(({ dir, branch, head }) => ({ dir, branch, ...(head ? { head } : {}) }));
  }

  private async headOf(t: Tracked): Promise<string | undefined> {
    const refStore = filesRefStoreOf(t.dir);
    const fromFiles = refStore && (await headFromRefFiles(refStore, t.branch));
    if (fromFiles) {
      t.missingReported = false;
      return fromFiles;
    }
    try {
      const { stdout } = await run('git', [
        '-C',
        t.dir,
        'rev-parse',
        '--verify',
        '--quiet',
        `refs/heads/${t.branch}`,
      ]);
      t.missingReported = false;
      return stdout.trim() || undefined;
    } catch {
      if (!t.missingReported) this.options.log?.(`no branch ${t.branch} in ${t.dir} yet; watching for it`);
      t.missingReported = true;
      return undefined;
    }
  }

  /** One check of every tracked branch; a moved head becomes a push to the router. */
  async poll(): Promise<void> {
    for (const t of this.tracked) {
      if (this.closed) return;
      const head = await this.headOf(t);
      if (!head || head === t.head) continue;
      const before = t.head;
      t.head = head;
      const source = {
        repository: t.repository,
        provider: 'codecommit' as const,
        branch: t.branch,
        path: '.',
        localPath: t.dir,
      };
      const changedPaths = await this.options.source
        .changedPaths(source, before, head)
        .catch(() => undefined);
      const author = await this.options.source
        .resolveCommit(source, head)
        .then((c) => c.author)
        .catch(() => undefined);
      const push: PushEvent = {
        source: 'local-git',
        repository: t.repository,
        branch: t.branch,
        ...(before ? { before } : {}),
        after: head,
        ...(changedPaths ? { changedPaths } : {}),
        ...(author ? { pusher: author } : {}),
      };
      this.options.log?.(
        `push to ${t.repository} ${t.branch}: ${before?.slice(0, 12) ?? '(new)'} → ${head.slice(0, 12)}`,
      );
      try {
        const outcome = await this.options.bus.route(push);
        if (outcome.ignored) this.options.log?.(`ignored: ${outcome.ignored}`);
        this.options.onRouted?.(push, outcome);
      } catch (error) {
        // Like EventBridge's retry: look at this push again on the next poll.
        t.head = before;
        this.options.log?.(
          `routing failed, retrying: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }
}
