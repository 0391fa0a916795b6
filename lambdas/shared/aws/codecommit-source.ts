import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, posix, resolve, sep } from 'node:path';
import {
  type CodeCommitClient,
  type File as CodeCommitFile,
  GetBlobCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetFolderCommand,
} from '@aws-sdk/client-codecommit';
import type { SourceConfig } from '../../../lib/catalog/types';
import { SourceNotFoundError } from '../errors';
import type { CommitInfo } from '../model';
import type { SourceRepository } from '../ports';
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
    try {
      const out = await this.codeCommit.send(new GetCommitCommand({ repositoryName, commitId }));
      const commit = out.commit;
      const author = commit?.author ?? commit?.committer;
      return {
        sha: commit?.commitId ?? commitId,
        author: formatAuthor(author?.name, author?.email),
        message: (commit?.message ?? '').trimEnd(),
        time: codeCommitDateToIso(commit?.author?.date) ?? codeCommitDateToIso(commit?.committer?.date) ?? '',
      };
    } catch (error) {
      throw mapAwsError(error, `CodeCommit GetCommit ${repositoryName}@${commitId}`, (name) =>
        notFound(name, { repository: repositoryName, commit: commitId, byRef: ref !== undefined }),
      );
    }
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
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new SourceNotFoundError(
      `source.path ${JSON.stringify(path)} leaves the repository; use a folder inside it, e.g. "services/api".`,
    );
  }
  return '/' + parts.join('/');
}

/** CodeCommit dates look like `1484167798 -0800` (epoch seconds and the author's offset). */
export function codeCommitDateToIso(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const match = /^\s*(\d+)(?:\s+[+-]\d{4})?\s*$/.exec(date);
  if (match) return new Date(Number(match[1]) * 1000).toISOString();
  const parsed = Date.parse(date);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

function formatAuthor(name: string | undefined, email: string | undefined): string {
  if (name && email) return `${name} <${email}>`;
  return name || email || 'unknown';
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
