import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SourceNotFoundError } from '../../lambdas/shared/errors';
import type { CommitInfo } from '../../lambdas/shared/model';
import type { SourceRepository } from '../../lambdas/shared/ports';
import type { SourceConfig } from '../../lib/catalog/types';

const run = promisify(execFile);

/** Source from local git repositories, through the git CLI. */
export class LocalGitSource implements SourceRepository {
  /** @param reposDir where `<repository>` folders live when a service sets no `source.localPath` */
  constructor(private readonly reposDir: string) {}

  repositoryDir(source: SourceConfig): string {
    if (source.localPath) return isAbsolute(source.localPath) ? source.localPath : resolve(source.localPath);
    return join(this.reposDir, source.repository);
  }

  private async git(source: SourceConfig, args: string[]): Promise<string> {
    const dir = this.repositoryDir(source);
    if (!existsSync(join(dir, '.git')) && !existsSync(join(dir, 'HEAD'))) {
      throw new SourceNotFoundError(
        `No git repository at ${dir} for ${source.repository}; create it, or set source.localPath in the catalog`,
      );
    }
    const { stdout } = await run('git', ['-C', dir, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo> {
    const wanted = ref ?? source.branch;
    let sha: string;
    try {
      sha = (await this.git(source, ['rev-parse', '--verify', '--quiet', `${wanted}^{commit}`])).trim();
    } catch (error) {
      if (error instanceof SourceNotFoundError) throw error;
      throw new SourceNotFoundError(
        `${ref ? `Commit ${ref}` : `Branch ${source.branch}`} not found in ${this.repositoryDir(source)}; ` +
          (ref ? 'push that commit or release another one' : 'fix source.branch in the catalog'),
      );
    }
    const log = await this.git(source, ['log', '-1', '--format=%H%x00%an <%ae>%x00%aI%x00%B', sha]);
    const [hash, author, time, message] = log.split('\0');
    return { sha: hash, author, time: new Date(time).toISOString(), message: message.trim() };
  }

  async checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void> {
    const dir = this.repositoryDir(source);
    const treeish =
      source.path === '.' || source.path === '' ? sha : `${sha}:${source.path.replace(/^\.\//, '')}`;
    await new Promise<void>((done, fail) => {
      // git archive | tar -x: the commit's tree only, never the working copy.
      const archive = spawn('git', ['-C', dir, 'archive', '--format=tar', treeish], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const untar = spawn('tar', ['-x', '-C', intoDir], { stdio: ['pipe', 'ignore', 'pipe'] });
      let errors = '';
      archive.stderr.on('data', (d: Buffer) => {
        errors += d.toString();
      });
      untar.stderr.on('data', (d: Buffer) => {
        errors += d.toString();
      });
      archive.stdout.pipe(untar.stdin);
      // Both must have exited: tar can close before git's 'close' event arrives.
      const exited = (child: typeof archive | typeof untar) =>
        new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
      Promise.all([exited(archive), exited(untar)]).then(([archiveCode, code]) => {
        if (archiveCode === 0 && code === 0) done();
        else
          fail(
            new SourceNotFoundError(
              `Could not check out ${source.path} at ${sha.slice(0, 12)} from ${dir}: ${errors.trim() || `exit ${archiveCode}/${code}`}`,
            ),
          );
      });
    });
  }
}
