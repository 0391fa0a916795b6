/** Local git repositories for the example services, and new commits made from overlays. */
import { execFile } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { applyOverlay, EXAMPLES_DIR, OVERLAYS_DIR } from '../cli/overlays';

const run = promisify(execFile);

/** Commits are made as this demo author, whatever the machine's git config says. */
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
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '-m', `Initial ${service}`]);
  return { repo, sha: await git(repo, ['rev-parse', 'HEAD']) };
}

/** Applies examples/overlays/<overlay> to the repository (see local/cli/overlays.ts) and commits it. */
export async function commitOverlay(repo: string, overlay: string): Promise<string> {
  const { overlay: applied } = await applyOverlay(join(OVERLAYS_DIR, overlay), repo);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '-m', applied.commitMessage]);
  return git(repo, ['rev-parse', 'HEAD']);
}
