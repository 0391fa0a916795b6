import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubSource } from '../../../../lambdas/adapters/aws/github-source';
import type { SourceConfig } from '../../../../lambdas/core/catalog/types';
import {
  SourceAccessDeniedError,
  SourceNotFoundError,
  TransientError,
} from '../../../../lambdas/core/errors';

const TOKEN = 'github_pat_11AAAAAAA0secretTOKENvalue';
const tokens = { githubToken: async () => TOKEN };
const source: SourceConfig = {
  repository: 'acme/greeter',
  provider: 'github',
  branch: 'main',
  path: 'services/api',
};
const sha = (n: number) => n.toString(16).padStart(40, '0');
const SHA = sha(0xabc);

/** GitHub's commit object, trimmed to the fields it always has and Sluice reads. */
function commitJson(s: string, message = `commit ${s.slice(-3)}`) {
  return {
    sha: s,
    node_id: 'C_x',
    commit: {
      author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2026-12-01T10:00:00Z' },
      committer: { name: 'GitHub', email: 'noreply@github.com', date: '2026-12-01T10:05:00Z' },
      message: `${message}\n`,
    },
    url: `https://api.github.com/repos/acme/greeter/commits/${s}`,
    parents: [],
  };
}

interface Sent {
  readonly url: string;
  readonly method?: string;
  readonly headers: Record<string, string>;
}

/** An injected fetch: answers by URL from `routes`, records every request; unknown URLs are a test failure. */
function fakeGitHub(routes: Record<string, () => Response>) {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    sent.push({ url, method: init?.method, headers: { ...(init?.headers as Record<string, string>) } });
    const route = routes[url];
    if (!route) throw new Error(`unexpected request ${url}`);
    return route();
  }) as typeof globalThis.fetch;
  return { sent, github: new GitHubSource(tokens, { fetch }) };
}

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    });

const API = 'https://api.github.com/repos/acme/greeter';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-gh-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GitHubSource requests', () => {
  it('reads the head of the tracked branch with the token, the JSON media type and the API version', async () => {
    const { sent, github } = fakeGitHub({
      [`${API}/branches/main`]: json({ name: 'main', commit: commitJson(SHA, 'Add greeting') }),
    });
    const info = await github.resolveCommit(source);
    expect(info).toEqual({
      sha: SHA,
      author: 'Ada Lovelace <ada@example.com>',
      committer: 'GitHub <noreply@github.com>',
      message: 'Add greeting',
      time: '2026-12-01T10:00:00.000Z',
    });
    expect(sent).toEqual([
      {
        url: `${API}/branches/main`,
        method: 'GET',
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${TOKEN}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'sluice',
        },
      },
    ]);
  });

  it('reads a given commit by its sha and encodes branch names with slashes', async () => {
    const { sent, github } = fakeGitHub({
      [`${API}/commits/${SHA}`]: json(commitJson(SHA)),
      [`${API}/branches/release%2F1.x`]: json({ name: 'release/1.x', commit: commitJson(sha(1)) }),
    });
    expect((await github.resolveCommit(source, SHA)).sha).toBe(SHA);
    expect((await github.resolveCommit({ ...source, branch: 'release/1.x' })).sha).toBe(sha(1));
    expect(sent.map((s) => s.url)).toEqual([`${API}/commits/${SHA}`, `${API}/branches/release%2F1.x`]);
  });

  it('refuses a repository that is not owner/name before sending anything', async () => {
    const { sent, github } = fakeGitHub({});
    for (const repository of ['greeter', 'acme/greeter/x', '../x/y', 'acme/..']) {
      await expect(github.resolveCommit({ ...source, repository })).rejects.toThrow(/owner\/name/);
    }
    expect(sent).toEqual([]);
  });
});

describe('GitHubSource failures', () => {
  const cases: [string, number, Record<string, string>, unknown, new (...a: never[]) => Error, RegExp][] = [
    [
      'an unknown repository or ref (404)',
      404,
      {},
      { message: 'Not Found' },
      SourceNotFoundError,
      /no branch main in acme\/greeter.*Contents: read/,
    ],
    [
      'a bad token (401)',
      401,
      {},
      { message: 'Bad credentials' },
      SourceAccessDeniedError,
      /rejected the token.*401 Bad credentials.*fine-grained/,
    ],
    [
      'a token without access (403)',
      403,
      {},
      { message: 'Resource not accessible by personal access token' },
      SourceAccessDeniedError,
      /Contents: read/,
    ],
    [
      'the rate limit (403, remaining 0)',
      403,
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1796119200' },
      { message: 'API rate limit exceeded' },
      TransientError,
      /rate-limited.*until 2026-12-01T10:00:00.000Z.*retrying later is safe/,
    ],
    [
      'the secondary rate limit (429, retry-after)',
      429,
      { 'retry-after': '60' },
      { message: 'secondary rate limit' },
      TransientError,
      /rate-limited/,
    ],
    [
      'a secondary rate limit named only in the message (403)',
      403,
      {},
      {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
      TransientError,
      /rate-limited.*secondary rate limit/,
    ],
    ['a server error (502)', 502, {}, { message: 'Server Error' }, TransientError, /502.*retrying is safe/],
  ];
  for (const [what, status, headers, body, type, message] of cases) {
    it(`maps ${what} to ${type.name}, naming the fix and never the token`, async () => {
      const { github } = fakeGitHub({ [`${API}/branches/main`]: json(body, status, headers) });
      const error = await github.resolveCommit(source).catch((e: Error) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      expect(
        JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) }),
      ).not.toContain(TOKEN);
    });
  }

  it('says an unknown sha is unknown (GitHub answers 422)', async () => {
    const { github } = fakeGitHub({
      [`${API}/commits/${SHA}`]: json({ message: `No commit found for SHA: ${SHA}` }, 422),
    });
    await expect(github.resolveCommit(source, SHA)).rejects.toThrow(
      new RegExp(`no commit ${SHA} in acme/greeter.*40-character sha`),
    );
  });

  it('treats a body that is not JSON, or JSON without a commit, as a malformed response worth retrying', async () => {
    const { github } = fakeGitHub({
      [`${API}/branches/main`]: () => new Response('<html>unicorn</html>', { status: 200 }),
      [`${API}/commits/${SHA}`]: json({ sha: 'not-a-sha' }),
    });
    await expect(github.resolveCommit(source)).rejects.toThrow(TransientError);
    const error = await github.resolveCommit(source, SHA).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/does not hold a commit with a sha/);
  });

  it('turns a dropped connection into a TransientError without the request headers', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      });
    }) as typeof globalThis.fetch;
    const error = await new GitHubSource(tokens, { fetch }).resolveCommit(source).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /Could not reach GitHub for branch main of acme\/greeter.*fetch failed/,
    );
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

/** A tarball the way GitHub serves one: every path below `<owner>-<repo>-<short sha>/`. */
async function tarball(files: Record<string, string>, format: 'gnu' | 'pax', executable: string[] = []) {
  const root = await mkdtemp(join(tmpdir(), 'sluice-gh-tar-'));
  const top = join(root, 'acme-greeter-0000abc');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(top, path, '..'), { recursive: true });
    await writeFile(join(top, path), content);
    await chmod(join(top, path), executable.includes(path) ? 0o755 : 0o644);
  }
  const file = join(root, 'archive.tar.gz');
  execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', root, relative(root, top)]);
  const bytes = await readFile(file);
  await rm(root, { recursive: true, force: true });
  return bytes;
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

const LONG = `${'deep/'.repeat(25)}file.js`; // > 100 characters: a GNU long name or a pax path record
const repoFiles = {
  'README.md': '# greeter',
  'services/api/index.js': 'exports.handler = async () => ({ statusCode: 200 });',
  'services/api/bin/run.sh': '#!/bin/sh\necho run',
  'services/api/test/index.test.js': "require('node:test');",
  [`services/api/${LONG}`]: 'module.exports = 1;',
  'services/api-admin/index.js': 'not me: a sibling folder sharing the prefix',
  'services/other/index.js': 'not me either',
};

describe('GitHubSource.checkout', () => {
  for (const format of ['pax', 'gnu'] as const) {
    it(`downloads the commit's tarball and writes only source.path (${format} tar)`, async () => {
      const archive = await tarball(repoFiles, format, ['services/api/bin/run.sh']);
      const { sent, github } = fakeGitHub({
        [`${API}/tarball/${SHA}`]: () =>
          new Response(archive, { headers: { 'content-type': 'application/x-gzip' } }),
      });
      await github.checkout(source, SHA, dir);
      expect(sent.map((s) => s.url)).toEqual([`${API}/tarball/${SHA}`]);
      expect(sent[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
      expect(await listFiles(dir)).toEqual(['bin/run.sh', LONG, 'index.js', 'test/index.test.js'].sort());
      expect(await readFile(join(dir, 'index.js'), 'utf8')).toBe(repoFiles['services/api/index.js']);
      expect(await readFile(join(dir, LONG), 'utf8')).toBe('module.exports = 1;');
      expect((await stat(join(dir, 'bin/run.sh'))).mode & 0o777).toBe(0o755);
      expect((await stat(join(dir, 'index.js'))).mode & 0o777).toBe(0o644);
    });
  }

  it('follows the redirect to codeload itself, without the token', async () => {
    const archive = await tarball(repoFiles, 'pax');
    const codeload = `https://codeload.github.com/acme/greeter/legacy.tar.gz/${SHA}?token=SHORTLIVED`;
    const { sent, github } = fakeGitHub({
      [`${API}/tarball/${SHA}`]: () => new Response(null, { status: 302, headers: { location: codeload } }),
      [codeload]: () => new Response(archive),
    });
    await github.checkout(source, SHA, dir);
    expect(sent.map((s) => s.url)).toEqual([`${API}/tarball/${SHA}`, codeload]);
    expect(sent[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent[1]?.headers.Authorization).toBeUndefined();
    expect(await listFiles(dir)).toContain('index.js');
  });

  it('writes the whole repository for path "."', async () => {
    const archive = await tarball(repoFiles, 'pax');
    const { github } = fakeGitHub({ [`${API}/tarball/${SHA}`]: () => new Response(archive) });
    await github.checkout({ ...source, path: '.' }, SHA, dir);
    expect(await listFiles(dir)).toEqual(Object.keys(repoFiles).sort());
  });

  it('says which folder is missing when source.path has no files at that commit', async () => {
    const archive = await tarball(repoFiles, 'pax');
    const { github } = fakeGitHub({ [`${API}/tarball/${SHA}`]: () => new Response(archive) });
    await expect(github.checkout({ ...source, path: 'services/gone' }, SHA, dir)).rejects.toThrow(
      new SourceNotFoundError(
        `Folder services/gone has no files in acme/greeter at commit ${SHA}; check source.path in the catalog.`,
      ),
    );
  });

  it('treats a cut-short or non-gzip download as worth retrying', async () => {
    const archive = await tarball(repoFiles, 'pax');
    const { github } = fakeGitHub({
      [`${API}/tarball/${SHA}`]: () => new Response(archive.subarray(0, archive.length - 40)),
      [`${API}/tarball/${sha(1)}`]: () => new Response('this is not gzip'),
    });
    await expect(github.checkout(source, SHA, dir)).rejects.toThrow(TransientError);
    const error = await github.checkout(source, sha(1), dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/unusable the tarball of acme\/greeter.*not valid gzip/);
  });

  it('fails (worth retrying) instead of waiting forever when the download breaks off midway', async () => {
    const archive = await tarball(repoFiles, 'pax');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(archive.subarray(0, 64));
      },
      pull(controller) {
        controller.error(new TypeError('terminated'));
      },
    });
    const { github } = fakeGitHub({ [`${API}/tarball/${SHA}`]: () => new Response(body) });
    const error = await github.checkout(source, SHA, dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/the download failed \(terminated\); retrying is safe/);
  });

  it('maps a 404 for the tarball to SourceNotFoundError', async () => {
    const { github } = fakeGitHub({ [`${API}/tarball/${SHA}`]: json({ message: 'Not Found' }, 404) });
    await expect(github.checkout(source, SHA, dir)).rejects.toThrow(SourceNotFoundError);
  });
});

describe('GitHubSource.listCommits', () => {
  const listUrl = (perPage: number) => `${API}/commits?sha=${sha(9)}&per_page=${perPage}&path=services%2Fapi`;
  // The path-filtered history, newest first: 9 (head), 7, 5, 3 touch services/api; 3 is the last release.
  const history = [sha(9), sha(7), sha(5), sha(3), sha(1)].map((s) => commitJson(s));

  it('lists the commits touching source.path since the last release, newest first, the release commit first', async () => {
    const { sent, github } = fakeGitHub({
      [`${API}/commits/${sha(9)}`]: json(commitJson(sha(9))),
      [listUrl(50)]: json(history),
      [`${API}/compare/${sha(3)}...${sha(9)}?per_page=100`]: json({
        status: 'ahead',
        total_commits: 6,
        // Oldest first, as GitHub lists them; 4, 6 and 8 touch other folders.
        commits: [sha(4), sha(5), sha(6), sha(7), sha(8), sha(9)].map((s) => commitJson(s)),
      }),
    });
    const commits = await github.listCommits(source, sha(9), sha(3));
    expect(commits.map((c) => c.sha)).toEqual([sha(9), sha(7), sha(5)]);
    expect(sent.map((s) => s.url)).toEqual([
      `${API}/commits/${sha(9)}`,
      listUrl(50),
      `${API}/compare/${sha(3)}...${sha(9)}?per_page=100`,
    ]);
  });

  it('keeps at most `limit` commits', async () => {
    const { github } = fakeGitHub({
      [`${API}/commits/${sha(9)}`]: json(commitJson(sha(9))),
      [listUrl(2)]: json(history.slice(0, 2)),
    });
    expect((await github.listCommits(source, sha(9), undefined, 2)).map((c) => c.sha)).toEqual([
      sha(9),
      sha(7),
    ]);
  });

  it('leaves out commits outside the compared range (merged from elsewhere) and always lists the release commit', async () => {
    const { github } = fakeGitHub({
      [`${API}/commits/${sha(9)}`]: json(commitJson(sha(9))),
      // The release commit itself does not touch the folder: the filtered history starts at 7.
      [listUrl(50)]: json([sha(7), sha(6), sha(5)].map((s) => commitJson(s))),
      [`${API}/compare/${sha(3)}...${sha(9)}?per_page=100`]: json({
        total_commits: 3,
        commits: [sha(5), sha(7), sha(9)].map((s) => commitJson(s)),
      }),
    });
    expect((await github.listCommits(source, sha(9), sha(3))).map((c) => c.sha)).toEqual([
      sha(9),
      sha(7),
      sha(5),
    ]);
  });

  it('lists only the release commit when it is the last release', async () => {
    const { sent, github } = fakeGitHub({ [`${API}/commits/${sha(9)}`]: json(commitJson(sha(9))) });
    expect((await github.listCommits(source, sha(9), sha(9))).map((c) => c.sha)).toEqual([sha(9)]);
    expect(sent).toHaveLength(1);
  });

  it('walks down to the last release when the base cannot be compared (force-pushed away)', async () => {
    const { github } = fakeGitHub({
      [`${API}/commits/${sha(9)}`]: json(commitJson(sha(9))),
      [listUrl(50)]: json(history),
      [`${API}/compare/${sha(3)}...${sha(9)}?per_page=100`]: json({ message: 'Not Found' }, 404),
    });
    expect((await github.listCommits(source, sha(9), sha(3))).map((c) => c.sha)).toEqual([
      sha(9),
      sha(7),
      sha(5),
    ]);
  });
});

describe('GitHubSource.changedPaths', () => {
  it('lists the compared files, renames on both sides, sorted', async () => {
    const { sent, github } = fakeGitHub({
      [`${API}/compare/${sha(1)}...${sha(2)}`]: json({
        total_commits: 1,
        commits: [commitJson(sha(2))],
        files: [
          { filename: 'services/api/index.js', status: 'modified' },
          { filename: 'docs/new.md', previous_filename: 'docs/old.md', status: 'renamed' },
        ],
      }),
    });
    expect(await github.changedPaths(source, sha(1), sha(2))).toEqual([
      'docs/new.md',
      'docs/old.md',
      'services/api/index.js',
    ]);
    expect(sent.map((s) => s.url)).toEqual([`${API}/compare/${sha(1)}...${sha(2)}`]);
  });

  it('is unknown (undefined) without a base, for a new branch, at 300 files, or for an unknown base', async () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ filename: `f${i}` }));
    const { sent, github } = fakeGitHub({
      [`${API}/compare/${sha(1)}...${sha(2)}`]: json({ total_commits: 1, commits: [], files }),
      [`${API}/compare/${sha(3)}...${sha(2)}`]: json({ message: 'Not Found' }, 404),
    });
    expect(await github.changedPaths(source, undefined, sha(2))).toBeUndefined();
    expect(await github.changedPaths(source, '0'.repeat(40), sha(2))).toBeUndefined();
    expect(sent).toEqual([]);
    expect(await github.changedPaths(source, sha(1), sha(2))).toBeUndefined();
    expect(await github.changedPaths(source, sha(3), sha(2))).toBeUndefined();
  });

  it('treats a comparison without a files list as malformed', async () => {
    const { github } = fakeGitHub({ [`${API}/compare/${sha(1)}...${sha(2)}`]: json({ commits: [] }) });
    await expect(github.changedPaths(source, sha(1), sha(2))).rejects.toThrow(TransientError);
  });
});
