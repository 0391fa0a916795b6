/** The local stand-in for CodeCommit's push events: branch heads read from the repositories, moves routed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PushEvent } from '../../lambdas/core/push-routing';
import type { RouteOutcome } from '../../lambdas/router/router';
import { LocalGitSource } from '../../local/adapters/git-source';
import { filesRefStoreOf, headFromRefFiles, LocalGitWatcher } from '../../local/git-watcher';
import { service } from '../lib/fixtures';
import { commitFiles, git } from '../support/git';
import { testTempDir } from '../support/test-temp-dir';

let root: string;
let repo: string;

beforeAll(async () => {
  root = testTempDir('git-watcher-');
  repo = join(root, 'repos', 'shop');
  mkdirSync(repo, { recursive: true });
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  await commitFiles(repo, { 'a.txt': '1' }, 'Initial');
});

const gitHead = (dir: string, branch: string) =>
  git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).catch(() => undefined);

describe('headFromRefFiles', () => {
  it('reads what git reads: a loose ref, a branch with a slash, and a ref packed by git pack-refs', async () => {
    const gitDir = join(repo, '.git');
    await git(repo, ['branch', 'feature/x']);
    expect(await headFromRefFiles(gitDir, 'main')).toBe(await gitHead(repo, 'main'));
    expect(await headFromRefFiles(gitDir, 'feature/x')).toBe(await gitHead(repo, 'feature/x'));

    await git(repo, ['tag', '-a', '-m', 'annotated: packed-refs gets a peeled ^ line', 'v1']);
    await git(repo, ['pack-refs', '--all']);
    expect(await headFromRefFiles(gitDir, 'main')).toBe(await gitHead(repo, 'main'));
    expect(await headFromRefFiles(gitDir, 'feature/x')).toBe(await gitHead(repo, 'feature/x'));

    // A commit after packing writes a loose ref again, which wins over the packed line.
    await commitFiles(repo, { 'a.txt': '2' }, 'After packing');
    expect(await headFromRefFiles(gitDir, 'main')).toBe(await gitHead(repo, 'main'));
  });

  it('answers undefined, so git is asked, for a branch that is not there or a ref it cannot read as a name', async () => {
    const gitDir = join(repo, '.git');
    expect(await headFromRefFiles(gitDir, 'nope')).toBeUndefined();
    // `main` is also the suffix of this one's name: a packed-refs line must match the whole ref.
    expect(await headFromRefFiles(gitDir, 'ain')).toBeUndefined();
    await git(repo, ['symbolic-ref', 'refs/heads/alias', 'refs/heads/main']);
    expect(await headFromRefFiles(gitDir, 'alias')).toBeUndefined();
    await git(repo, ['update-ref', '-d', 'refs/heads/alias', '--no-deref']);
  });
});

describe('filesRefStoreOf', () => {
  it('is .git for a working copy and the folder itself for a bare repository', async () => {
    expect(filesRefStoreOf(repo)).toBe(join(repo, '.git'));
    const bare = join(root, 'bare.git');
    await git(root, ['init', '--quiet', '--bare', bare]);
    expect(filesRefStoreOf(bare)).toBe(bare);
  });

  it('is undefined where only git knows the refs: a linked worktree, the reftable store, no repository', async () => {
    const worktree = join(root, 'worktree');
    await git(repo, ['worktree', 'add', '--quiet', '-b', 'side', worktree]);
    expect(filesRefStoreOf(worktree)).toBeUndefined();

    const reftable = join(root, 'reftable-repo');
    mkdirSync(join(reftable, '.git', 'reftable'), { recursive: true });
    writeFileSync(join(reftable, '.git', 'HEAD'), 'ref: refs/heads/.invalid\n');
    expect(filesRefStoreOf(reftable)).toBeUndefined();

    expect(filesRefStoreOf(join(root, 'missing'))).toBeUndefined();
  });
});

describe('LocalGitWatcher', () => {
  const watch = async (dir: string, routes: PushEvent[], fail?: () => boolean) => {
    const config = service('shop', { source: { repository: 'shop', branch: 'main' } });
    return LocalGitWatcher.start({
      catalog: { version: 1, services: [config] },
      source: new LocalGitSource(dir),
      bus: {
        route: async (push): Promise<RouteOutcome> => {
          if (fail?.()) throw new Error('bus down');
          routes.push(push);
          return { releases: [] };
        },
      },
      // poll() is called by the test; the timer never fires within it.
      intervalMs: 60_000,
    });
  };

  it('routes each move of the branch once, loose or packed, with the files it changed', async () => {
    const routes: PushEvent[] = [];
    const watcher = await watch(join(root, 'repos'), routes);
    try {
      const before = await gitHead(repo, 'main');
      await watcher.poll();
      expect(routes).toEqual([]);

      const after = await commitFiles(repo, { 'b.txt': 'new' }, 'Add b');
      await watcher.poll();
      await watcher.poll();
      expect(routes).toEqual([
        expect.objectContaining({
          repository: 'shop',
          branch: 'main',
          before,
          after,
          changedPaths: ['b.txt'],
        }),
      ]);

      await git(repo, ['pack-refs', '--all']);
      await watcher.poll();
      expect(routes).toHaveLength(1);
      // The branch moves and is packed before the next poll: its head is then only in packed-refs.
      const third = await commitFiles(repo, { 'b.txt': 'newer' }, 'Change b');
      await git(repo, ['pack-refs', '--all']);
      await watcher.poll();
      expect(routes.map((r) => r.after)).toEqual([after, third]);
    } finally {
      await watcher.close();
    }
  });

  it('looks at the same move again on the next poll when routing it failed', async () => {
    const routes: PushEvent[] = [];
    let down = true;
    const watcher = await watch(join(root, 'repos'), routes, () => down);
    try {
      const after = await commitFiles(repo, { 'c.txt': '1' }, 'Add c');
      await watcher.poll();
      expect(routes).toEqual([]);
      down = false;
      await watcher.poll();
      expect(routes.map((r) => r.after)).toEqual([after]);
    } finally {
      await watcher.close();
    }
  });
});
