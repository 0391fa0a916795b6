import type { SourceConfig } from '../../core/catalog/types';
import { defined } from '../../core/defined';
import { SourceAccessDeniedError, SourceNotFoundError, TransientError } from '../../core/errors';
import { type CommitInfo, formatAuthor } from '../../core/model';
import { type GitHubTokenProvider, MAX_RELEASE_COMMITS, type SourceRepository } from '../../core/ports';
import { MAX_CHANGED_PATHS } from '../../core/push-routing';
import { repositoryFolderOf } from '../../core/source-path';
import { extractTarGz, MalformedArchiveError } from '../tar';
import { truncate } from './errors';

export const GITHUB_API_URL = 'https://api.github.com';
export const GITHUB_API_VERSION = '2022-11-28';

/** The compare endpoint lists at most this many files; a comparison that reaches it may have more. */
const COMPARE_MAX_FILES = 300;
/** Commits per page of the list-commits and compare endpoints (GitHub's maximum). */
const PAGE_SIZE = 100;

export interface GitHubSourceOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** @default 'https://api.github.com' (GitHub Enterprise Server: 'https://HOST/api/v3') */
  readonly apiUrl?: string;
  /** Milliseconds before an API call is abandoned (and retried by the state machine). @default 30000 */
  readonly timeoutMs?: number;
  /** Milliseconds before a tarball download is abandoned. @default 300000 */
  readonly downloadTimeoutMs?: number;
  /** Where the token comes from, named in errors (never the token itself). @default 'the GitHub token secret' */
  readonly tokenSource?: string;
}

/** The parts of GitHub's commit object Sluice reads (GET /repos/{owner}/{repo}/commits/{ref}). */
interface GitHubCommit {
  readonly sha?: unknown;
  readonly commit?: {
    readonly message?: unknown;
    readonly author?: { readonly name?: unknown; readonly email?: unknown; readonly date?: unknown } | null;
    readonly committer?: {
      readonly name?: unknown;
      readonly email?: unknown;
      readonly date?: unknown;
    } | null;
  };
}

interface GitHubComparison {
  readonly total_commits?: unknown;
  readonly commits?: unknown;
  readonly files?: unknown;
}

/**
 * Reads service source from the GitHub REST API with a token (a fine-grained personal access token or a GitHub
 * App installation token with Contents: read): no git binary, no clone. Checkout downloads the commit's tarball
 * and unpacks only `source.path`.
 */
export class GitHubSource implements SourceRepository {
  private readonly fetch: typeof globalThis.fetch;
  private readonly apiUrl: string;

  /** @param token the token, e.g. `SecretsManagerGitHubToken` over the GitHub token secret */
  constructor(
    private readonly token: GitHubTokenProvider,
    private readonly options: GitHubSourceOptions = {},
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.apiUrl = (options.apiUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  }

  async resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo> {
    const repo = repoPath(source);
    if (ref === undefined) {
      const branch = await this.getJson<{ commit?: GitHubCommit }>(
        `${repo}/branches/${encodeURIComponent(source.branch)}`,
        {
          what: `branch ${source.branch} of ${source.repository}`,
          notFound:
            `GitHub has no branch ${source.branch} in ${source.repository}, or the token cannot read the ` +
            'repository; check source.repository and source.branch in the catalog, and that the token has ' +
            'Contents: read on it.',
        },
      );
      return commitInfoOf(branch.commit, `branch ${source.branch} of ${source.repository}`);
    }
    const commit = await this.getJson<GitHubCommit>(`${repo}/commits/${encodeURIComponent(ref)}`, {
      what: `commit ${ref} of ${source.repository}`,
      notFound:
        `GitHub has no commit ${ref} in ${source.repository}, or the token cannot read the repository; pass the ` +
        'full 40-character sha of a pushed commit, and check that the token has Contents: read on it.',
    });
    return commitInfoOf(commit, `commit ${ref} of ${source.repository}`);
  }

  /**
   * The commits touching `source.path` (list commits with `sha` and `path`, newest first, one page) that are
   * also in `sinceSha...untilSha` (compare, one page). With more commits in the range than one compare page
   * holds, the newest ones touching the path are kept, down to `sinceSha`.
   */
  async listCommits(
    source: SourceConfig,
    untilSha: string,
    sinceSha?: string,
    limit = MAX_RELEASE_COMMITS,
  ): Promise<CommitInfo[]> {
    const until = await this.resolveCommit(source, untilSha);
    if (sinceSha === untilSha || limit <= 1) return [until];
    const repo = repoPath(source);
    const folder = repositoryFolderOf(source.path);
    const query = new URLSearchParams({ sha: until.sha, per_page: String(Math.min(PAGE_SIZE, limit)) });
    if (folder) query.set('path', folder);
    const listed = await this.getJson<unknown>(`${repo}/commits?${query}`, {
      what: `the history of ${source.repository}@${until.sha}`,
      notFound: `GitHub has no commit ${until.sha} in ${source.repository}; pass the sha of a pushed commit.`,
    });
    if (!Array.isArray(listed)) throw malformed(`the history of ${source.repository}`, 'a list of commits');

    let inRange: ((sha: string) => boolean) | undefined;
    if (sinceSha) {
      const comparison = await this.compare(source, sinceSha, until.sha, `per_page=${PAGE_SIZE}`);
      if (comparison) {
        const shas = new Set(comparisonCommitShas(comparison, source));
        const complete = Number(comparison.total_commits) <= shas.size;
        if (complete) inRange = (sha) => shas.has(sha);
      }
    }

    const commits: CommitInfo[] = [until];
    for (const entry of listed as GitHubCommit[]) {
      if (commits.length >= limit) break;
      const info = commitInfoOf(entry, `the history of ${source.repository}`);
      if (info.sha === sinceSha) break;
      if (info.sha === until.sha || (inRange && !inRange(info.sha))) continue;
      commits.push(info);
    }
    return commits;
  }

  /** Compare `fromSha...toSha`: the files it lists, or undefined when it may list only some of them. */
  async changedPaths(
    source: SourceConfig,
    fromSha: string | undefined,
    toSha: string,
  ): Promise<string[] | undefined> {
    if (!fromSha || /^0+$/.test(fromSha)) return undefined;
    const comparison = await this.compare(source, fromSha, toSha);
    if (!comparison) return undefined;
    if (!Array.isArray(comparison.files)) {
      throw malformed(`the comparison ${fromSha}...${toSha} of ${source.repository}`, 'a files list');
    }
    if (comparison.files.length >= COMPARE_MAX_FILES) return undefined;
    const paths = new Set<string>();
    for (const file of comparison.files as { filename?: unknown; previous_filename?: unknown }[]) {
      if (typeof file?.filename !== 'string') {
        throw malformed(`the comparison ${fromSha}...${toSha} of ${source.repository}`, 'file names');
      }
      paths.add(file.filename);
      if (typeof file.previous_filename === 'string') paths.add(file.previous_filename);
    }
    if (paths.size > MAX_CHANGED_PATHS) return undefined;
    return [...paths].sort();
  }

  /** Downloads the tarball of `sha` and writes the files below `source.path` into `intoDir`. */
  async checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void> {
    const repo = repoPath(source);
    const folder = repositoryFolderOf(source.path);
    const what = `the tarball of ${source.repository}@${sha}`;
    const response = await this.request(`${repo}/tarball/${encodeURIComponent(sha)}`, {
      what,
      notFound:
        `GitHub has no commit ${sha} in ${source.repository}, or the token cannot read the repository; check ` +
        'that the token has Contents: read on it.',
      timeoutMs: this.options.downloadTimeoutMs ?? 300_000,
    });
    if (!response.body) throw malformed(what, 'a gzipped tar archive');
    const prefix = folder ? `${folder}/` : '';
    let result: { files: number };
    try {
      result = await extractTarGz(response.body as unknown as AsyncIterable<Uint8Array>, {
        intoDir,
        // GitHub puts everything below one top-level folder, `<owner>-<repo>-<short sha>/`.
        select: (path) => {
          const slash = path.indexOf('/');
          if (slash === -1) return undefined;
          const inRepo = path.slice(slash + 1);
          return inRepo.startsWith(prefix) ? inRepo.slice(prefix.length) : undefined;
        },
      });
    } catch (error) {
      if (error instanceof MalformedArchiveError) {
        throw new TransientError(`GitHub sent an unusable ${what}: ${error.message}; retrying is safe.`, {
          cause: error,
        });
      }
      // Writing the checkout failed (a full /tmp, say): that is not GitHub's doing; say so as it is.
      throw error;
    }
    if (result.files === 0) {
      throw new SourceNotFoundError(
        `Folder ${folder || '.'} has no files in ${source.repository} at commit ${sha}; check source.path in ` +
          'the catalog.',
      );
    }
  }

  private async compare(
    source: SourceConfig,
    base: string,
    head: string,
    query?: string,
  ): Promise<GitHubComparison | undefined> {
    const path = `${repoPath(source)}/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}`;
    try {
      return await this.getJson<GitHubComparison>(query ? `${path}?${query}` : path, {
        what: `the comparison ${base}...${head} of ${source.repository}`,
        notFound: `GitHub cannot compare ${base}...${head} in ${source.repository}.`,
      });
    } catch (error) {
      // A base that no longer exists (a force push) cannot be compared: the caller treats that as unknown.
      if (error instanceof SourceNotFoundError) return undefined;
      throw error;
    }
  }

  private async getJson<T>(path: string, ctx: RequestContext): Promise<T> {
    const response = await this.request(path, ctx);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new TransientError(
        `GitHub sent a response for ${ctx.what} that is not JSON (${(error as Error).message}); retrying is safe.`,
      );
    }
  }

  private async request(path: string, ctx: RequestContext): Promise<Response> {
    const token = await this.token.githubToken();
    // One time budget for the request and the redirect it may lead to.
    const signal = AbortSignal.timeout(ctx.timeoutMs ?? this.options.timeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await this.fetch(`${this.apiUrl}/repos/${path}`, {
        method: 'GET',
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${token}`,
          'X-GitHub-Api-Version': GITHUB_API_VERSION,
          'User-Agent': 'sluice',
        },
        // Redirects are followed below, by hand, so the token never travels to another host.
        redirect: 'manual',
        signal,
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        // The tarball redirects to codeload.github.com with a short-lived grant in its URL: no token there.
        response = await this.fetch(new URL(location, this.apiUrl).toString(), {
          method: 'GET',
          headers: { 'User-Agent': 'sluice' },
          redirect: 'follow',
          signal,
        });
      }
    } catch (error) {
      throw transportError(error, ctx.what);
    }
    if (response.ok) return response;
    throw await this.httpError(response, ctx);
  }

  private async httpError(response: Response, ctx: RequestContext): Promise<Error> {
    const said = await githubMessage(response);
    const status = `${response.status}${said ? ` ${said}` : ''}`;
    const tokenSource = this.options.tokenSource ?? 'the GitHub token secret';
    const header = (name: string) => response.headers.get(name);
    if (
      response.status === 429 ||
      (response.status === 403 &&
        (header('x-ratelimit-remaining') === '0' ||
          header('retry-after') !== null ||
          /rate limit/i.test(said)))
    ) {
      const reset = Number(header('x-ratelimit-reset'));
      const when =
        Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
      return new TransientError(
        `GitHub rate-limited the request for ${ctx.what} (${status})${when}; retrying later is safe. If this ` +
          'happens often, use a GitHub App installation token (higher limits) in the token secret.',
      );
    }
    if (response.status === 401) {
      return new SourceAccessDeniedError(
        `GitHub rejected the token in ${tokenSource} while reading ${ctx.what} (${status}); put a valid ` +
          'fine-grained token with Contents: read on the repository in it (aws secretsmanager put-secret-value).',
      );
    }
    if (response.status === 403) {
      return new SourceAccessDeniedError(
        `GitHub refused ${ctx.what} with the token in ${tokenSource} (${status}); give the token Contents: read ` +
          'on the repository (and approve it for the organization if it requires that).',
      );
    }
    if (response.status === 404 || response.status === 422) return new SourceNotFoundError(ctx.notFound);
    if (response.status >= 500) {
      return new TransientError(`GitHub failed to serve ${ctx.what} (${status}); retrying is safe.`);
    }
    return new Error(`GitHub answered ${status} for ${ctx.what}.`);
  }
}

interface RequestContext {
  /** What was asked for, for messages: `commit abc of acme/greeter`. */
  readonly what: string;
  /** The SourceNotFoundError message for a 404 (or 422, GitHub's answer to an unknown sha). */
  readonly notFound: string;
  readonly timeoutMs?: number;
}

/** `owner/name` as the URL path segment pair, checked so a catalog value cannot change the URL's shape. */
function repoPath(source: SourceConfig): string {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(source.repository);
  if (!match || match[2] === '.' || match[2] === '..') {
    throw new SourceNotFoundError(
      `source.repository ${JSON.stringify(source.repository)} is not a GitHub repository; use \`owner/name\`, ` +
        'e.g. "acme/greeter".',
    );
  }
  return `${defined(match[1], 'the owner')}/${defined(match[2], 'the name').replace(/\.git$/, '')}`;
}

function committerOf(person: { name?: unknown; email?: unknown } | null | undefined): string | undefined {
  const name = typeof person?.name === 'string' ? person.name : undefined;
  const email = typeof person?.email === 'string' ? person.email : undefined;
  return name || email ? formatAuthor(name, email) : undefined;
}

/** `source.path` as a repository-relative folder without slashes at either end; '' for the repository root. */
function commitInfoOf(commit: GitHubCommit | undefined, what: string): CommitInfo {
  if (!commit || typeof commit.sha !== 'string' || !/^[0-9a-f]{40}$/.test(commit.sha)) {
    throw malformed(what, 'a commit with a sha');
  }
  const author = commit.commit?.author ?? commit.commit?.committer;
  const name = typeof author?.name === 'string' ? author.name : '';
  const email = typeof author?.email === 'string' ? author.email : '';
  const date = typeof author?.date === 'string' ? Date.parse(author.date) : Number.NaN;
  return {
    sha: commit.sha,
    author: formatAuthor(name, email),
    message: typeof commit.commit?.message === 'string' ? commit.commit.message.trimEnd() : '',
    time: Number.isNaN(date) ? '' : new Date(date).toISOString(),
    ...(committerOf(commit.commit?.committer) ? { committer: committerOf(commit.commit?.committer) } : {}),
  };
}

function comparisonCommitShas(comparison: GitHubComparison, source: SourceConfig): string[] {
  if (!Array.isArray(comparison.commits)) {
    throw malformed(`a comparison of ${source.repository}`, 'a commits list');
  }
  return (comparison.commits as { sha?: unknown }[]).flatMap((c) =>
    typeof c?.sha === 'string' ? [c.sha] : [],
  );
}

function malformed(what: string, expected: string): TransientError {
  return new TransientError(
    `GitHub's response for ${what} does not hold ${expected} (malformed or cut short); retrying is safe.`,
  );
}

/** A failed connection or a timeout: worth retrying. */
function transportError(error: unknown, what: string): Error {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TransientError(
    `Could not reach GitHub for ${what} (${truncate(reason, 200)}); retrying is safe.`,
    {
      cause: error,
    },
  );
}

/** GitHub's `message` from an error body, short; never the request's headers. */
async function githubMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    return typeof body?.message === 'string' ? truncate(body.message, 200) : '';
  } catch {
    return '';
  }
}
