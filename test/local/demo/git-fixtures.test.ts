import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, OVERLAYS_DIR } from '../../../local/cli/overlays';
import { COMMIT_ALL, commitOverlay, gitScript, seedRepository } from '../../../local/demo/git-fixtures';
import { git } from '../../support/git';
import { testTempDir } from '../../support/test-temp-dir';

/** The files below `dir`, relative, `/`-separated, sorted; none under node_modules. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !relative(dir, e.parentPath).split(sep).includes('node_modules'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

describe('seedRepository and commitOverlay', () => {
  it('seeds examples/<service> as one commit on main by the demo author, then commits an overlay on it', async () => {
    const { repo, sha } = await seedRepository(testTempDir('seed-'), 'greeter');
    expect(await git(repo, ['rev-parse', 'HEAD'])).toBe(sha);
    expect(await git(repo, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(await git(repo, ['log', '--format=%an <%ae>|%cn <%ce>|%s'])).toBe(
      'Dana Developer <dana@example.com>|Dana Developer <dana@example.com>|Initial greeter',
    );
    expect((await git(repo, ['ls-files'])).split('\n').sort()).toEqual(
      filesOf(join(EXAMPLES_DIR, 'greeter')),
    );

    const next = await commitOverlay(repo, 'greeter-v2');
    expect(await git(repo, ['rev-parse', 'HEAD'])).toBe(next);
    expect(await git(repo, ['log', '-1', '--format=%P|%an|%B', next])).toBe(
      `${sha}|Dana Developer|${readFileSync(join(OVERLAYS_DIR, 'greeter-v2', 'COMMIT_MESSAGE'), 'utf8').trim()}`,
    );
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
  });
});

describe('gitScript', () => {
  const author = { name: 'Eve', email: 'eve@example.com' };

  it('passes its arguments as "$1"…, never as script text', async () => {
    const { repo, sha } = await seedRepository(testTempDir('script-'), 'greeter');
    const message = `"$(touch pwned)" 'quoted' $HOME; echo no`;
    const head = await gitScript(author, repo, COMMIT_ALL, message);
    expect(await git(repo, ['log', '-1', '--format=%P|%an <%ae>|%B', head])).toBe(
      `${sha}|Eve <eve@example.com>|${message}`,
    );
    expect(existsSync(join(repo, 'pwned'))).toBe(false);
  });

  it('fails with git’s message when a command fails, and stops there', async () => {
    const { repo, sha } = await seedRepository(testTempDir('script-'), 'greeter');
    await expect(
      gitScript(
        author,
        repo,
        'git rev-parse --verify --end-of-options "$1" && git commit --allow-empty -qm x',
        'nope',
      ),
    ).rejects.toThrow(/fatal: Needed a single revision/);
    expect(await git(repo, ['rev-parse', 'HEAD'])).toBe(sha);
  });
});
