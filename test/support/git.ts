/** Temporary git repositories for trigger tests (not a test file itself). */
import { execFile } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { COMMIT_ALL, gitEnvironment, gitScript } from '../../local/demo/git-fixtures';

const run = promisify(execFile);

const EVE = { name: 'Eve', email: 'eve@example.com' };

/** `git <args>` in `repo` as Eve; its output, trimmed. */
export async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repo, ...args], { env: gitEnvironment(EVE, repo) });
  return stdout.trim();
}

/** `gitScript` (local/demo/git-fixtures.ts) as Eve: one child process for a step's git commands. */
export async function gitSteps(repo: string, script: string, ...args: string[]): Promise<string> {
  return gitScript(EVE, repo, script, ...args);
}

/** A new repository on `main` holding `folders` (target path in the repo → source folder), in one commit. */
export async function newRepository(repo: string, folders: Record<string, string>): Promise<string> {
  await mkdir(repo, { recursive: true });
  for (const [target, from] of Object.entries(folders))
    await cp(from, join(repo, target), { recursive: true });
  return gitSteps(repo, `git init --quiet --initial-branch=main && ${COMMIT_ALL}`, 'Initial commit');
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
  return gitSteps(repo, COMMIT_ALL, message);
}
