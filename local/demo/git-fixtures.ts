/** Local git repositories for the example services, and new commits made from overlays. */
import { execFile } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { applyOverlay, EXAMPLES_DIR, OVERLAYS_DIR } from '../cli/overlays';

const run = promisify(execFile);

export interface GitAuthor {
  readonly name: string;
  readonly email: string;
}

/** Commits are made as this demo author, whatever the machine's git config says. */
const AUTHOR: GitAuthor = { name: 'Dana Developer', email: 'dana@example.com' };

/** Stages everything in the working copy, commits it with the message "$1", and prints the new head. */
export const COMMIT_ALL = 'git add -A && git commit --quiet --allow-empty -m "$1" && git rev-parse HEAD';

/** The environment git runs in for `repo`: `author` makes the commits, whatever the machine's git config says. */
export function gitEnvironment(author: GitAuthor, repo: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: repo,
  };
}

/**
 * Runs `script`, a `sh` script of git commands, in `repo` as `author`, with `args` as "$1", "$2"…; returns what
 * it printed, trimmed. A step's commands run as one child process: each child costs the calling process a fork of
 * its whole memory, and a test worker or the local runtime is large.
 */
export async function gitScript(
  author: GitAuthor,
  repo: string,
  script: string,
  ...args: string[]
): Promise<string> {
  const { stdout } = await run('sh', ['-c', script, 'sh', ...args], {
    cwd: repo,
    env: gitEnvironment(author, repo),
  });
  return stdout.trim();
}

/** Creates `<reposDir>/<service>` as a git repository holding examples/<service> in one commit on main. */
export async function seedRepository(
  reposDir: string,
  service: string,
): Promise<{ repo: string; sha: string }> {
  const repo = join(reposDir, service);
  await rm(repo, { recursive: true, force: true });
  await mkdir(repo, { recursive: true });
  // An install made by hand in examples/<service> is not part of the service's source.
  await cp(join(EXAMPLES_DIR, service), repo, {
    recursive: true,
    filter: (from) => basename(from) !== 'node_modules',
  });
  const sha = await gitScript(
    AUTHOR,
    repo,
    `git init --quiet --initial-branch=main && ${COMMIT_ALL}`,
    `Initial ${service}`,
  );
  return { repo, sha };
}

/** Applies examples/overlays/<overlay> to the repository (see local/cli/overlays.ts) and commits it. */
export async function commitOverlay(repo: string, overlay: string): Promise<string> {
  const { overlay: applied } = await applyOverlay(join(OVERLAYS_DIR, overlay), repo);
  return gitScript(AUTHOR, repo, COMMIT_ALL, applied.commitMessage);
}
