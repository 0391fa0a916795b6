import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceConfig } from '../../../lambdas/core/catalog/types';
import { defined } from '../../../lambdas/core/defined';
import { SourceNotFoundError } from '../../../lambdas/core/errors';
import { BoundedMap, LocalGitSource } from '../../../local/adapters/git-source';
import { commitFiles, git, newRepository } from '../../support/git';
import { testTempDir } from '../../support/test-temp-dir';

let repo: string;
const shas: string[] = [];
const source = (path: string): SourceConfig => ({
  repository: 'mono',
  provider: 'codecommit',
  branch: 'main',
  path,
});
const gitSource = new LocalGitSource(join(tmpdir(), 'unused'));

beforeAll(async () => {
  repo = join(testTempDir('git-'), 'mono');
  mkdirSync(repo);
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  shas.push(await commitFiles(repo, { 'api/a.ts': '1', 'web/w.ts': '1' }, 'Initial'));
  shas.push(await commitFiles(repo, { 'web/w.ts': '2' }, 'Web change'));
  shas.push(await commitFiles(repo, { 'api/a.ts': '2' }, 'Api change\n\nWith a body.'));
  shas.push(await commitFiles(repo, { 'docs/d.md': '1' }, 'Docs'));
});

const at = (path: string) => ({ ...source(path), localPath: repo });

describe('LocalGitSource.listCommits', () => {
  it('lists the commits since the live one that touch the service folder, newest first, release commit first', async () => {
    const commits = await gitSource.listCommits(at('api'), defined(shas[3], 'shas[3]'), shas[0]);
    expect(commits.map((c) => c.message)).toEqual(['Docs', 'Api change\n\nWith a body.']);
    expect(commits[1]).toMatchObject({ sha: shas[2], author: 'Eve <eve@example.com>' });
    expect(Number.isNaN(Date.parse(defined(commits[1]?.time, 'commits[1].time')))).toBe(false);
  });

  it('lists every commit for path ".", bounded by the limit, and the release commit alone when it is live', async () => {
    expect((await gitSource.listCommits(at('.'), defined(shas[3], 'shas[3]'))).map((c) => c.sha)).toEqual(
      [...shas].reverse(),
    );
    expect(
      (await gitSource.listCommits(at('.'), defined(shas[3], 'shas[3]'), undefined, 2)).map((c) => c.sha),
    ).toEqual([shas[3], shas[2]]);
    expect(
      (await gitSource.listCommits(at('api'), defined(shas[2], 'shas[2]'), shas[2])).map((c) => c.sha),
    ).toEqual([shas[2]]);
  });

  it('falls back to the newest commits when the live commit is not in the history', async () => {
    const commits = await gitSource.listCommits(at('web'), defined(shas[2], 'shas[2]'), 'f'.repeat(40));
    expect(commits.map((c) => c.message)).toEqual(['Api change\n\nWith a body.', 'Web change', 'Initial']);
  });
});

describe('LocalGitSource.changedPaths', () => {
  it('names the files between two commits, and answers unknown without a previous head', async () => {
    expect(await gitSource.changedPaths(at('.'), shas[0], defined(shas[3], 'shas[3]'))).toEqual([
      'api/a.ts',
      'docs/d.md',
      'web/w.ts',
    ]);
    expect(await gitSource.changedPaths(at('.'), undefined, defined(shas[3], 'shas[3]'))).toBeUndefined();
    expect(
      await gitSource.changedPaths(at('.'), 'f'.repeat(40), defined(shas[3], 'shas[3]')),
    ).toBeUndefined();
  });
});

describe('LocalGitSource.resolveCommit', () => {
  it('describes the branch head, or the commit named, with its author, time and whole message', async () => {
    const head = await gitSource.resolveCommit(at('.'));
    expect(head).toMatchObject({ sha: shas[3], author: 'Eve <eve@example.com>', message: 'Docs' });
    const named = await gitSource.resolveCommit(at('.'), defined(shas[2], 'shas[2]').slice(0, 12));
    expect(named).toMatchObject({ sha: shas[2], message: 'Api change\n\nWith a body.' });
    expect(Number.isNaN(Date.parse(named.time))).toBe(false);
  });

  it('names what is missing: the commit, the branch, or the repository; a ref is never read as an option', async () => {
    await expect(gitSource.resolveCommit(at('.'), 'f'.repeat(40))).rejects.toThrow(
      new SourceNotFoundError(
        `Commit ${'f'.repeat(40)} not found in ${repo}; push that commit or release another one`,
      ),
    );
    await expect(gitSource.resolveCommit(at('.'), '--all')).rejects.toThrow(SourceNotFoundError);
    await expect(gitSource.resolveCommit({ ...at('.'), branch: 'nope' })).rejects.toThrow(
      `Branch nope not found in ${repo}; fix source.branch in the catalog`,
    );
    await expect(
      gitSource.resolveCommit({ ...at('.'), localPath: join(tmpdir(), 'sluice-no-such-repo') }),
    ).rejects.toThrow(/^No git repository at .*sluice-no-such-repo for mono/);
  });
});

/** Each entry below `dir` (not `dir` itself): path, type and mode, modification time, and content or link target. */
function listing(dir: string, below = ''): string[] {
  return readdirSync(join(dir, below))
    .sort()
    .flatMap((name) => {
      const path = join(below, name);
      const stat = lstatSync(join(dir, path));
      const what = stat.isSymbolicLink()
        ? `-> ${readlinkSync(join(dir, path))}`
        : stat.isDirectory()
          ? ''
          : readFileSync(join(dir, path), 'utf8');
      // No times: git archive of a tree (commit:path) stamps every entry with the time it runs, so two archives
      // a second apart differ there.
      const entry = `${path} ${stat.mode.toString(8)} ${what}`;
      return stat.isDirectory() ? [entry, ...listing(dir, path)] : [entry];
    });
}

describe('LocalGitSource.checkout', () => {
  let work: string;
  let sha: string;
  const into = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    return dir;
  };
  const checkout = (path: string) => ({ ...source(path), localPath: join(work, 'repo') });

  beforeAll(async () => {
    work = testTempDir('checkout-');
    // Written in place: fs.cp would make the relative symlink absolute.
    const repo = join(work, 'repo');
    mkdirSync(join(repo, 'svc', 'lib'), { recursive: true });
    mkdirSync(join(repo, 'other'));
    writeFileSync(join(repo, 'svc', 'lib', 'a.ts'), 'committed');
    writeFileSync(join(repo, 'svc', 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(repo, 'svc', 'run.sh'), 0o755);
    symlinkSync('lib/a.ts', join(repo, 'svc', 'link'));
    writeFileSync(join(repo, 'svc', '.gitattributes'), 'secret export-ignore\n');
    writeFileSync(join(repo, 'svc', 'secret'), 'kept out of archives');
    writeFileSync(join(repo, 'other', 'o.ts'), 'other');
    sha = await newRepository(repo, {});
    // The working copy is never what a checkout writes.
    writeFileSync(join(work, 'repo', 'svc', 'lib', 'a.ts'), 'uncommitted');
    writeFileSync(join(work, 'repo', 'svc', 'untracked.ts'), 'untracked');
  });

  it("writes the commit's service folder as `git archive | tar -x` does: files, modes, symlinks", async () => {
    const dir = into('svc');
    await gitSource.checkout(checkout('./svc'), sha, dir);
    const reference = into('reference');
    execFileSync('sh', [
      '-c',
      'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
      'sh',
      join(work, 'repo'),
      `${sha}:svc`,
      reference,
    ]);
    expect(listing(dir)).toEqual(listing(reference));
    expect(readdirSync(dir).sort()).toEqual(['.gitattributes', 'lib', 'link', 'run.sh']);
    expect(readFileSync(join(dir, 'lib', 'a.ts'), 'utf8')).toBe('committed');
    expect(readlinkSync(join(dir, 'link'))).toBe('lib/a.ts');
    expect(lstatSync(join(dir, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(lstatSync(join(dir, 'lib', 'a.ts')).mode & 0o111).toBe(0);
  });

  it('writes the whole tree for path "."', async () => {
    const dir = into('root');
    await gitSource.checkout(checkout('.'), sha, dir);
    expect(readdirSync(dir).sort()).toEqual(['other', 'svc']);
    expect(readFileSync(join(dir, 'other', 'o.ts'), 'utf8')).toBe('other');
  });

  it('names what failed: a folder the commit lacks, or a folder it cannot write into', async () => {
    await expect(gitSource.checkout(checkout('gone'), sha, into('gone'))).rejects.toThrow(
      new RegExp(
        `^Could not check out gone at ${sha.slice(0, 12)} from .*repo: fatal: not a valid object name`,
      ),
    );
    const error = await gitSource
      .checkout(checkout('svc'), sha, join(work, 'no-such-folder'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect((error as Error).message).toMatch(/no-such-folder: Cannot open: No such file or directory/);
  });
});

describe('what LocalGitSource remembers about full commit ids', () => {
  /** Runs `ask` with a `git` first on PATH that notes each run's subcommand; returns them in order. */
  async function gitRuns(ask: () => Promise<void>): Promise<string[]> {
    const bin = testTempDir('git-runs-');
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\nprintf '%s\\n' "$3" >> "$GIT_RUNS_LOG"\nexec "$REAL_GIT" "$@"\n`,
      { mode: 0o755 },
    );
    const saved = {
      PATH: process.env.PATH,
      GIT_RUNS_LOG: process.env.GIT_RUNS_LOG,
      REAL_GIT: process.env.REAL_GIT,
    };
    Object.assign(process.env, {
      PATH: `${bin}:${process.env.PATH}`,
      GIT_RUNS_LOG: join(bin, 'runs'),
      REAL_GIT: realGit,
    });
    try {
      await ask();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    return readFileSync(join(bin, 'runs'), 'utf8').trim().split('\n');
  }

  it('asks git once per commit and per pair of commits, even when asked at once', async () => {
    const fresh = new LocalGitSource(join(tmpdir(), 'unused'));
    const [first, , second, last] = shas.map((sha, i) => defined(sha, `shas[${i}]`));
    const runs = await gitRuns(async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => fresh.changedPaths(at('.'), first, defined(last, 'last'))),
      );
      expect(answers).toEqual(answers.map(() => ['api/a.ts', 'docs/d.md', 'web/w.ts']));
      // The range, then the release commit (it does not touch api); both are known afterwards.
      expect((await fresh.listCommits(at('api'), defined(last, 'last'), first)).map((c) => c.sha)).toEqual([
        last,
        second,
      ]);
      expect(await fresh.resolveCommit(at('.'), last)).toMatchObject({ sha: last, message: 'Docs' });
      expect(await fresh.resolveCommit(at('.'), second)).toMatchObject({
        sha: second,
        author: 'Eve <eve@example.com>',
      });
    });
    expect(runs).toEqual(['diff', 'log', 'log']);
  });

  it('never keeps an answer that a commit is unknown, and answers per repository', async () => {
    const fresh = new LocalGitSource(join(tmpdir(), 'unused'));
    const last = defined(shas[3], 'shas[3]');
    const other = join(testTempDir('other-'), 'other');
    await newRepository(other, {});
    const runs = await gitRuns(async () => {
      expect(await fresh.changedPaths(at('.'), 'f'.repeat(40), last)).toBeUndefined();
      expect(await fresh.changedPaths(at('.'), 'f'.repeat(40), last)).toBeUndefined();
      await fresh.resolveCommit(at('.'), last);
      await expect(fresh.resolveCommit({ ...at('.'), localPath: other }, last)).rejects.toThrow(
        `Commit ${last} not found in ${other}`,
      );
      await expect(
        fresh.resolveCommit({ ...at('.'), localPath: join(tmpdir(), 'sluice-no-such-repo') }, last),
      ).rejects.toThrow(/^No git repository at /);
    });
    expect(runs).toEqual(['diff', 'diff', 'log', 'log']);
  });

  it('forgets the oldest answers beyond its limit', () => {
    const kept = new BoundedMap<string, number>(2);
    kept.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    expect([...kept]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });
});
