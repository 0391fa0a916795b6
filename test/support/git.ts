/** Temporary git repositories for trigger tests (not a test file itself). */
import { execFile } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repo, ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Eve',
      GIT_AUTHOR_EMAIL: 'eve@example.com',
      GIT_COMMITTER_NAME: 'Eve',
      GIT_COMMITTER_EMAIL: 'eve@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: repo,
    },
  });
  return stdout.trim();
}

/** A new repository on `main` holding `folders` (target path in the repo → source folder), in one commit. */
export async function newRepository(repo: string, folders: Record<string, string>): Promise<string> {
  await mkdir(repo, { recursive: true });
  for (const [target, from] of Object.entries(folders))
    await cp(from, join(repo, target), { recursive: true });
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '-m', 'Initial commit']);
  return git(repo, ['rev-parse', 'HEAD']);
}

/** Writes the files (path → content) and commits them; returns the new head. */
export async function commitFiles(
  repo: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']);
}
