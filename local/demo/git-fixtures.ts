/** Local git repositories for the example services, and new commits made from overlays. */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');
export const OVERLAYS_DIR = join(EXAMPLES_DIR, 'overlays');

/** Commits are made as this demo author, whatever the machine's git config says. */
/** Overlay files that describe the commit rather than belong to it. */
const OVERLAY_META_FILES = ['COMMIT_MESSAGE', 'DELETE', 'SERVICE'];

const AUTHOR = { name: 'Dana Developer', email: 'dana@example.com' };

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repo, ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: repo,
    },
  });
  return stdout.trim();
}

/** Creates `<reposDir>/<service>` as a git repository holding examples/<service> in one commit on main. */
export async function seedRepository(reposDir: string, service: string): Promise<{ repo: string; sha: string }> {
  const repo = join(reposDir, service);
  await rm(repo, { recursive: true, force: true });
  await mkdir(repo, { recursive: true });
  await cp(join(EXAMPLES_DIR, service), repo, { recursive: true });
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '-m', `Initial ${service}`]);
  return { repo, sha: await git(repo, ['rev-parse', 'HEAD']) };
}

/**
 * Applies examples/overlays/<overlay> to the repository and commits: its files are copied over, paths listed
 * in its DELETE file are removed, and its COMMIT_MESSAGE is the message. Returns the new commit.
 */
export async function commitOverlay(repo: string, overlay: string): Promise<string> {
  const dir = join(OVERLAYS_DIR, overlay);
  if (!existsSync(dir)) throw new Error(`No overlay ${overlay} in ${OVERLAYS_DIR}`);
  await cp(dir, repo, {
    recursive: true,
    filter: (src) => !OVERLAY_META_FILES.includes(src.slice(dir.length + 1)),
  });
  const deleteList = join(dir, 'DELETE');
  if (existsSync(deleteList)) {
    for (const line of (await readFile(deleteList, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean)) {
      const relative = normalize(line);
      if (relative.startsWith('..')) throw new Error(`Overlay ${overlay} deletes a path outside the repository: ${line}`);
      await rm(join(repo, relative), { recursive: true, force: true });
    }
  }
  const messageFile = join(dir, 'COMMIT_MESSAGE');
  const message = existsSync(messageFile) ? (await readFile(messageFile, 'utf8')).trim() : `Apply ${overlay}`;
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']);
}
