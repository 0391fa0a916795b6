import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, posix, resolve, sep } from 'node:path';
import {
  type CodeCommitClient,
  type File as CodeCommitFile,
  type Commit,
  type Difference,
  GetBlobCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetDifferencesCommand,
  GetFolderCommand,
} from '@aws-sdk/client-codecommit';
import type { SourceConfig } from '../../core/catalog/types';
import { SourceNotFoundError } from '../../core/errors';
import { type CommitInfo, formatAuthor } from '../../core/model';
import { MAX_RELEASE_COMMITS, type SourceRepository } from '../../core/ports';
import { MAX_CHANGED_PATHS } from '../../core/push-routing';
import { repositoryFolderOf } from '../../core/source-path';
import { mapAwsError } from './errors';

/** CodeCommit API calls in flight at once during a checkout (its per-account rate limits are modest). */
const DEFAULT_CONCURRENCY = 8;

export interface CodeCommitSourceOptions {
  /** @default 8 */
  readonly concurrency?: number;
}

/** Reads service source straight from CodeCommit's API: no git binary, no clone, only the service's folder. */
export class CodeCommitSource implements SourceRepository {
  constructor(
    private readonly codeCommit: CodeCommitClient,
    private readonly options: CodeCommitSourceOptions = {},
  ) {}

  async resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo> {
    const repositoryName = source.repository;
    let commitId = ref;
    if (!commitId) {
      try {
        const out = await this.codeCommit.send(
          new GetBranchCommand({ repositoryName, branchName: source.branch }),
        );
        commitId = out.branch?.commitId;
      } catch (error) {
        throw mapAwsError(error, `CodeCommit GetBranch ${repositoryName}@${source.branch}`, (name) =>
          notFound(name, { repository: repositoryName, branch: source.branch }),
        );
      }
      if (!commitId) {
        throw new SourceNotFoundError(
          `Branch ${source.branch} of CodeCommit repository ${repositoryName} has no commits; push one first.`,
        );
      }
    }
    return commitInfoOf(await this.getCommit(repositoryName, commitId, ref !== undefined), commitId);
  }

  /** GetCommit, its errors named for people (`byRef`: the commit was asked for by the user, not found by us). */
  private async getCommit(
    repositoryName: string,
    commitId: string,
    byRef: boolean,
  ): Promise<Commit | undefined> {
    try {
      return (await this.codeCommit.send(new GetCommitCommand({ repositoryName, commitId }))).commit;
    } catch (error) {
      throw mapAwsError(error, `CodeCommit GetCommit ${repositoryName}@${commitId}`, (name) =>
        notFound(name, { repository: repositoryName, commit: commitId, byRef }),
      );
    }
  }

  /**
   * Walks first parents from `untilSha` (GetCommit per commit) until `sinceSha`, keeping the commits that
   * change `source.path` (GetDifferences against the parent, one page). Bounded: at most `limit` commits kept
   * and `4 × limit` visited.
   */
  async listCommits(
    source: SourceConfig,
    untilSha: string,
    sinceSha?: string,
    limit = MAX_RELEASE_COMMITS,
  ): Promise<CommitInfo[]> {
    const repositoryName = source.repository;
    const folder = folderPathOf(source.path);
    const commits: CommitInfo[] = [];
    let next: string | undefined = untilSha;
    for (
      let visited = 0;
      next && (next !== sinceSha || visited === 0) && commits.length < limit && visited < 4 * limit;
      visited++
    ) {
      const commitId: string = next;
      const commit = await this.getCommit(repositoryName, commitId, true);
      const parent = commit?.parents?.[0];
      const info = commitInfoOf(commit, commitId);
      if (
        commitId === untilSha ||
        folder === '/' ||
        (await this.touchesFolder(repositoryName, parent, commitId, folder))
      ) {
        commits.push(info);
      }
      next = commitId === sinceSha ? undefined : parent;
    }
    return commits;
  }

  private async touchesFolder(
    repositoryName: string,
    parent: string | undefined,
    commitId: string,
    folder: string,
  ): Promise<boolean> {
    const afterPath = folder.slice(1);
    try {
      const out = await this.codeCommit.send(
        new GetDifferencesCommand({
          repositoryName,
          ...(parent ? { beforeCommitSpecifier: parent } : {}),
          afterCommitSpecifier: commitId,
          beforePath: afterPath,
          afterPath,
          MaxResults: 1,
        }),
      );
      return (out.differences ?? []).length > 0;
    } catch (error) {
      // The folder did not exist on one side: the commit created or removed it, so it touches it.
      if ((error as Error).name === 'PathDoesNotExistException') return true;
      throw mapAwsError(error, `CodeCommit GetDifferences ${repositoryName}@${commitId}`, () => undefined);
    }
  }

  /** GetDifferences between two commits, every page; undefined beyond MAX_CHANGED_PATHS or without `fromSha`. */
  async changedPaths(
    source: SourceConfig,
    fromSha: string | undefined,
    toSha: string,
  ): Promise<string[] | undefined> {
    if (!fromSha) return undefined;
    const repositoryName = source.repository;
    const paths = new Set<string>();
    let NextToken: string | undefined;
    do {
      let out: { differences?: Difference[]; NextToken?: string };
      try {
        out = await this.codeCommit.send(
          new GetDifferencesCommand({
            repositoryName,
            beforeCommitSpecifier: fromSha,
            afterCommitSpecifier: toSha,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
      } catch (error) {
        throw mapAwsError(
          error,
          `CodeCommit GetDifferences ${repositoryName} ${fromSha}..${toSha}`,
          (name) =>
            name === 'CommitDoesNotExistException'
              ? new SourceNotFoundError(`${fromSha}..${toSha}`)
              : undefined,
        );
      }
      for (const d of out.differences ?? []) {
        if (d.beforeBlob?.path) paths.add(d.beforeBlob.path);
        if (d.afterBlob?.path) paths.add(d.afterBlob.path);
      }
      if (paths.size > MAX_CHANGED_PATHS) return undefined;
      NextToken = out.NextToken;
    } while (NextToken);
    return [...paths].sort();
  }

  async checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void> {
    const repositoryName = source.repository;
    const root = resolve(intoDir);
    const limit = limiter(this.options.concurrency ?? DEFAULT_CONCURRENCY);
    const rootFolder = folderPathOf(source.path);

    // Each call runs inside the limiter and maps its own failure, naming the file or folder it was for.
    const call = <T>(action: string, path: string, send: () => Promise<T>): Promise<T> =>
      limit(async () => {
        try {
          return await send();
        } catch (error) {
          throw mapAwsError(error, `CodeCommit ${action} ${repositoryName}@${sha}:${path}`, (name) =>
            notFound(name, { repository: repositoryName, commit: sha, path, byRef: true }),
          );
        }
      });

    const writeOne = async (file: CodeCommitFile, relPath: string): Promise<void> => {
      // Git symlinks could point anywhere on the build host; a Lambda bundle never needs them.
      if (file.fileMode === 'SYMLINK' || !file.blobId) return;
      const target = resolve(root, relPath);
      if (!target.startsWith(root + sep)) {
        throw new SourceNotFoundError(
          `Refusing to write ${JSON.stringify(relPath)} from ${repositoryName}@${sha}: it resolves outside ` +
            'the checkout folder.',
        );
      }
      const blobId = file.blobId;
      const out = await call('GetBlob', relPath, () =>
        this.codeCommit.send(new GetBlobCommand({ repositoryName, blobId })),
      );
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, out.content ?? new Uint8Array(), {
        mode: file.fileMode === 'EXECUTABLE' ? 0o755 : 0o644,
      });
    };

    // A folder's listing is fetched inside the limiter; its children are scheduled after the slot is freed, so
    // the recursion can never deadlock waiting for a slot held by its own parent.
    const walk = async (folderPath: string, relPrefix: string): Promise<void> => {
      const listing = await call('GetFolder', folderPath, () =>
        this.codeCommit.send(new GetFolderCommand({ repositoryName, commitSpecifier: sha, folderPath })),
      );
      const work: Promise<void>[] = [];
      for (const file of listing.files ?? []) {
        work.push(writeOne(file, posix.join(relPrefix, file.relativePath ?? '')));
      }
      for (const folder of listing.subFolders ?? []) {
        if (!folder.absolutePath) continue;
        work.push(walk(folder.absolutePath, posix.join(relPrefix, folder.relativePath ?? '')));
      }
      // symbolicLinks and subModules are skipped on purpose (see writeOne).
      await settleAll(work);
    };

    await walk(rootFolder, '');
  }
}

/** `source.path` as CodeCommit's fully qualified folder path: `.` → `/`, `services/api/` → `/services/api`. */
export function folderPathOf(path: string): string {
  return `/${repositoryFolderOf(path)}`;
}

/** CodeCommit dates look like `1484167798 -0800` (epoch seconds and the author's offset). */
export function codeCommitDateToIso(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const match = /^\s*(\d+)(?:\s+[+-]\d{4})?\s*$/.exec(date);
  if (match) return new Date(Number(match[1]) * 1000).toISOString();
  const parsed = Date.parse(date);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

function commitInfoOf(commit: Commit | undefined, commitId: string): CommitInfo {
  const author = commit?.author ?? commit?.committer;
  return {
    sha: commit?.commitId ?? commitId,
    author: formatAuthor(author?.name, author?.email),
    message: (commit?.message ?? '').trimEnd(),
    time: codeCommitDateToIso(commit?.author?.date) ?? codeCommitDateToIso(commit?.committer?.date) ?? '',
    ...(commit?.committer?.email || commit?.committer?.name
      ? { committer: formatAuthor(commit.committer.name, commit.committer.email) }
      : {}),
  };
}

interface NotFoundContext {
  readonly repository: string;
  readonly branch?: string;
  readonly commit?: string;
  readonly path?: string;
  /** The commit came from the release request rather than the tracked branch. */
  readonly byRef?: boolean;
}

function notFound(name: string, ctx: NotFoundContext): Error | undefined {
  switch (name) {
    case 'RepositoryDoesNotExistException':
      return new SourceNotFoundError(
        `CodeCommit repository ${ctx.repository} does not exist in this account and region; check ` +
          'source.repository in the catalog (the name, not the clone URL).',
      );
    case 'BranchDoesNotExistException':
      return new SourceNotFoundError(
        `Branch ${ctx.branch} does not exist in CodeCommit repository ${ctx.repository}; check source.branch ` +
          'in the catalog or push the branch.',
      );
    case 'CommitDoesNotExistException':
    case 'CommitIdDoesNotExistException':
      return new SourceNotFoundError(
        `Commit ${ctx.commit} does not exist in CodeCommit repository ${ctx.repository}` +
          (ctx.byRef ? '; pass the full 40-character sha of a pushed commit.' : '.'),
      );
    case 'InvalidCommitIdException':
    case 'InvalidCommitException':
      return new SourceNotFoundError(
        `${JSON.stringify(ctx.commit)} is not a commit id CodeCommit accepts (repository ${ctx.repository}); ` +
          'pass the full 40-character sha.',
      );
    case 'FolderDoesNotExistException':
    case 'PathDoesNotExistException':
      return new SourceNotFoundError(
        `Folder ${ctx.path} does not exist in CodeCommit repository ${ctx.repository} at commit ${ctx.commit}; ` +
          'check source.path in the catalog.',
      );
    case 'FileTooLargeException':
      return new Error(
        `${ctx.path} in CodeCommit repository ${ctx.repository} is larger than CodeCommit's API returns; keep ` +
          'large files out of the service folder (source.path).',
      );
    default:
      return undefined;
  }
}

/** Runs at most `max` of the given tasks at once, in the order they were queued. */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= max) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolvePromise, reject) => {
      queue.push(() => {
        task()
          .then(resolvePromise, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Waits for every promise (so no write is still running when we return), then throws the first failure. */
async function settleAll(work: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
