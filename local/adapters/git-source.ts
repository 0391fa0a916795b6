import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SourceConfig } from '../../lambdas/core/catalog/types';
import { SourceNotFoundError } from '../../lambdas/core/errors';
import type { CommitInfo } from '../../lambdas/core/model';
import { MAX_RELEASE_COMMITS, type SourceRepository } from '../../lambdas/core/ports';
import { repositoryFolderOf } from '../../lambdas/core/source-path';

const run = promisify(execFile);

/** The `git archive` format whose filter unpacks the archive into `$SLUICE_CHECKOUT_DIR` (see `checkout`). */
const CHECKOUT_FORMAT = 'sluice-checkout';

/** A full commit id (SHA-1 or SHA-256): the commit it names, and so what git says about it, never changes. */
export const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** How many answers about full commit ids a LocalGitSource keeps, each kind (the oldest is forgotten first). */
export const REMEMBERED_ANSWERS = 500;

/** A Map that forgets its oldest entry once it holds more than `limit`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    for (const oldest of this.keys()) {
      if (this.size <= this.limit) break;
      this.delete(oldest);
    }
    return this;
  }
}

/** One commit per `git log` record: sha, `name <email>`, ISO time, message, NUL-separated. */
const COMMIT_FORMAT = '%H%x00%an <%ae>%x00%aI%x00%cn <%ce>%x00%B';

function commitOf(record: string): CommitInfo {
  const [sha, author, time, committer, message] = record.split('\0');
  if (
    sha === undefined ||
    author === undefined ||
    time === undefined ||
    committer === undefined ||
    message === undefined
  )
    throw new Error(
      `git log wrote a record without its five fields: ${JSON.stringify(record.slice(0, 200))}`,
    );
  return { sha, author, committer, time: new Date(time).toISOString(), message: message.trim() };
}

export class LocalGitSource implements SourceRepository {
  /** @param reposDir where `<repository>` folders live when a service sets no `source.localPath` */
  constructor(private readonly reposDir: string) {}

  /**
   * What git answered about full commit ids, by repository folder: commits by `<dir>\0<sha>`, changed paths by
   * `<dir>\0<from>\0<to>` (shared while git runs, so concurrent deliveries of one push ask it once). Answers that
   * a commit is unknown are never kept: it may arrive.
   */
  private readonly commits = new BoundedMap<string, CommitInfo>(REMEMBERED_ANSWERS);
  private readonly diffs = new BoundedMap<string, Promise<string[] | undefined>>(REMEMBERED_ANSWERS);

  repositoryDir(source: SourceConfig): string {
    if (source.localPath) return isAbsolute(source.localPath) ? source.localPath : resolve(source.localPath);
    return join(this.reposDir, source.repository);
  }

  /** The repository's folder; SourceNotFoundError when it holds no git repository. */
  private existingRepositoryDir(source: SourceConfig): string {
    const dir = this.repositoryDir(source);
    if (!existsSync(join(dir, '.git')) && !existsSync(join(dir, 'HEAD'))) {
      throw new SourceNotFoundError(
        `No git repository at ${dir} for ${source.repository}; create it, or set source.localPath in the catalog`,
      );
    }
    return dir;
  }

  private async git(source: SourceConfig, args: string[]): Promise<string> {
    const dir = this.existingRepositoryDir(source);
    const { stdout } = await run('git', ['-C', dir, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo> {
    const known =
      ref && FULL_SHA.test(ref) && this.commits.get(`${this.existingRepositoryDir(source)}\0${ref}`);
    if (known) return known;
    const wanted = ref ?? source.branch;
    let record: string;
    try {
      // One git process resolves and describes the commit (`--end-of-options`: a ref never reads as an option).
      record = await this.git(source, [
        'log',
        '-1',
        '--no-walk',
        `--format=${COMMIT_FORMAT}`,
        '--end-of-options',
        `${wanted}^{commit}`,
        '--',
      ]);
    } catch (error) {
      if (error instanceof SourceNotFoundError) throw error;
      throw new SourceNotFoundError(
        `${ref ? `Commit ${ref}` : `Branch ${source.branch}`} not found in ${this.repositoryDir(source)}; ` +
          (ref ? 'push that commit or release another one' : 'fix source.branch in the catalog'),
      );
    }
    return this.remember(source, commitOf(record));
  }

  private remember(source: SourceConfig, commit: CommitInfo): CommitInfo {
    this.commits.set(`${this.repositoryDir(source)}\0${commit.sha}`, commit);
    return commit;
  }

  async listCommits(
    source: SourceConfig,
    untilSha: string,
    sinceSha?: string,
    limit = MAX_RELEASE_COMMITS,
  ): Promise<CommitInfo[]> {
    const folder = repositoryFolderOf(source.path);
    const range = sinceSha && sinceSha !== untilSha ? [untilSha, `^${sinceSha}`] : [untilSha];
    const args = ['log', `--max-count=${limit}`, `--format=${COMMIT_FORMAT}%x1e`];
    const pathspec = folder === '' ? [] : ['--', folder];
    let out: string;
    try {
      out = sinceSha === untilSha ? '' : await this.git(source, [...args, ...range, ...pathspec]);
    } catch (error) {
      if (error instanceof SourceNotFoundError || !sinceSha) throw error;
      // The last release's commit is gone from this history (rewritten): list the newest commits instead.
      out = await this.git(source, [...args, untilSha, ...pathspec]);
    }
    const commits = out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.includes('\0'))
      .map((record) => this.remember(source, commitOf(record)));
    if (commits[0]?.sha !== untilSha) commits.unshift(await this.resolveCommit(source, untilSha));
    return commits.slice(0, limit);
  }

  async changedPaths(
    source: SourceConfig,
    fromSha: string | undefined,
    toSha: string,
  ): Promise<string[] | undefined> {
    if (!fromSha) return undefined;
    const dir = this.existingRepositoryDir(source);
    if (!FULL_SHA.test(fromSha) || !FULL_SHA.test(toSha)) return this.diff(source, fromSha, toSha);
    const key = `${dir}\0${fromSha}\0${toSha}`;
    let answer = this.diffs.get(key);
    if (!answer) {
      const asked = this.diff(source, fromSha, toSha);
      const forgetUnknown = (paths?: string[]) => {
        if (!paths && this.diffs.get(key) === asked) this.diffs.delete(key);
      };
      asked.then(forgetUnknown, () => forgetUnknown());
      this.diffs.set(key, asked);
      answer = asked;
    }
    const paths = await answer;
    return paths && [...paths];
  }

  private async diff(source: SourceConfig, fromSha: string, toSha: string): Promise<string[] | undefined> {
    try {
      const out = await this.git(source, ['diff', '--name-only', '--no-renames', fromSha, toSha]);
      return out.split('\n').filter((line) => line !== '');
    } catch (error) {
      if (error instanceof SourceNotFoundError) throw error;
      return undefined;
    }
  }

  async checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void> {
    const dir = this.repositoryDir(source);
    const treeish =
      source.path === '.' || source.path === '' ? sha : `${sha}:${source.path.replace(/^\.\//, '')}`;
    try {
      // `git archive | tar -x` as one child of this process: git pipes the archive through the `tar.<format>.command`
      // filter itself and fails when either side fails. The commit's tree only, never the working copy; the folder
      // comes in the environment, never in the command's text.
      await run(
        'git',
        [
          '-C',
          dir,
          '-c',
          `tar.${CHECKOUT_FORMAT}.command=exec tar -x -C "$SLUICE_CHECKOUT_DIR"`,
          'archive',
          `--format=${CHECKOUT_FORMAT}`,
          treeish,
        ],
        { env: { ...process.env, SLUICE_CHECKOUT_DIR: intoDir }, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      const { stderr, code } = error as { stderr?: string; code?: unknown };
      throw new SourceNotFoundError(
        `Could not check out ${source.path} at ${sha.slice(0, 12)} from ${dir}: ${stderr?.trim() || `exit ${String(code)}`}`,
        { cause: error },
      );
    }
  }
}
