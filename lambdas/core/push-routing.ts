/**
 * Triggers: every source of pushes (CodeCommit through EventBridge, the GitHub webhook, local git repositories)
 * becomes one normalized PushEvent, and one pure routing function maps it to the services it releases.
 * No SDK imports: the webhook, the router and the local watcher all bundle this file.
 */
import picomatch from 'picomatch';
import type { Catalog, ServiceConfig, SourceConfig } from './catalog/types';
import type { ReleaseRequest, ReleaseTrigger } from './model';
import { repositoryFolderOf } from './source-path';

/** EventBridge `source` of the normalized push events Sluice puts on its bus. */
export const PUSH_EVENT_SOURCES = { github: 'sluice.github', localGit: 'sluice.local-git' } as const;
/** EventBridge `detail-type` of a normalized push event. */
export const PUSH_DETAIL_TYPE = 'Sluice Push';
/** EventBridge `detail-type` of CodeCommit's own events. */
export const CODECOMMIT_DETAIL_TYPE = 'CodeCommit Repository State Change';
/** Changed paths beyond this are dropped and the push counts as touching everything (EventBridge: 256 KB). */
export const MAX_CHANGED_PATHS = 1000;

export type PushSource = 'codecommit' | 'github' | 'local-git';

/** The EventBridge `source` a normalized push is published under (the GitHub webhook's, or a local watcher's). */
export function pushEventSourceOf(push: Pick<PushEvent, 'source'>): string {
  return push.source === 'github' ? PUSH_EVENT_SOURCES.github : PUSH_EVENT_SOURCES.localGit;
}

/** EventBridge's PutEvents entry limit: 256 KB, counted as the UTF-8 bytes of Source, DetailType and Detail. */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;

/** A push whose event would exceed MAX_EVENT_ENTRY_BYTES even without its changed paths. */
export class PushEventTooLargeError extends Error {
  override readonly name = 'PushEventTooLargeError';
}

type PushEventEntry = { Source: string; DetailType: string; Detail: string };

/** The bytes EventBridge counts for an entry against MAX_EVENT_ENTRY_BYTES. */
export function eventEntrySize(entry: PushEventEntry): number {
  return (
    Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail)
  );
}

/**
 * The PutEvents entry (without its bus) of a normalized push: what the GitHub webhook and a local watcher
 * publish. One over EventBridge's entry limit goes without its changed paths (the push then touches every
 * service of its repository and branch); one still over it throws PushEventTooLargeError.
 */
export function pushEventEntry(push: PushEvent): PushEventEntry {
  const entry = {
    Source: pushEventSourceOf(push),
    DetailType: PUSH_DETAIL_TYPE,
    Detail: JSON.stringify(push),
  };
  if (eventEntrySize(entry) <= MAX_EVENT_ENTRY_BYTES) return entry;
  const { changedPaths: _dropped, ...rest } = push;
  const smaller = { ...entry, Detail: JSON.stringify(rest) };
  if (eventEntrySize(smaller) <= MAX_EVENT_ENTRY_BYTES) return smaller;
  throw new PushEventTooLargeError(
    `The push event for ${push.repository.slice(0, 100)} is ${eventEntrySize(smaller)} bytes even without its changed paths; EventBridge takes at most ${MAX_EVENT_ENTRY_BYTES}.`,
  );
}

/** One push to one branch, whatever delivered it. */
export interface PushEvent {
  readonly source: PushSource;
  /** CodeCommit repository name, or `owner/name` on GitHub; the catalog's `source.repository`. */
  readonly repository: string;
  /** Branch name, without `refs/heads/`. */
  readonly branch: string;
  /** The branch's previous head; absent when the push created the branch. */
  readonly before?: string;
  /** The branch's new head: the commit to release. */
  readonly after: string;
  /**
   * Files the push changed, relative to the repository root. Absent when unknown (a new branch, a forced
   * push, too many files): then every service of the repository and branch counts as touched.
   */
  readonly changedPaths?: readonly string[];
  /** Who pushed (a login, an email, an IAM ARN). */
  readonly pusher?: string;
  /**
   * Every name the source gives the pusher (GitHub: the pusher's login and email and the sender's login), so
   * no-self-approval can match whichever the catalog lists. @default - only `pusher`
   */
  readonly pusherIdentities?: readonly string[];
  /** GitHub's id of the webhook delivery (X-GitHub-Delivery): recorded with the release. */
  readonly delivery?: string;
}

/** What a GitHub delivery id looks like (a GUID); anything else is not recorded. */
export const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A delivery that is not a push Sluice acts on, and why (logged, answered with success). */
export interface Ignored {
  readonly ignored: string;
}

export function isIgnored(value: PushEvent | Ignored): value is Ignored {
  return 'ignored' in value;
}

const SHA = /^[0-9a-f]{40}$/i;
const ZERO_SHA = /^0{40}$/;

/** The deterministic execution name (and release id): `<service>-<sha12>`, so a duplicate push is a no-op. */
export function releaseIdOf(service: string, sha: string): string {
  return `${service}-${sha.slice(0, 12)}`;
}

/** Step Functions' longest execution name. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
/** Attempts of one release: two digits keep the execution names sorting by attempt. */
export const MAX_ATTEMPTS = 99;

export class InvalidAttemptError extends Error {
  override readonly name = 'InvalidAttemptError';
}

/**
 * The execution of a release's attempt. Attempt 1 is the release id itself, so every delivery of a push still
 * names the same execution (a duplicate starts nothing, also after a retry); attempt n >= 2 is
 * `<releaseId>-a<nn>`, which sorts after attempt 1 and by attempt. A 40-character service name gives 57
 * characters, within Step Functions' 80, of letters, digits and '-' (what CloudWatch Logs needs too).
 */
export function executionNameOf(releaseId: string, attempt = 1): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > MAX_ATTEMPTS) {
    throw new InvalidAttemptError(
      `Attempt ${attempt} of ${releaseId}: attempts are numbered 1 to ${MAX_ATTEMPTS}.`,
    );
  }
  const name = attempt === 1 ? releaseId : `${releaseId}-a${String(attempt).padStart(2, '0')}`;
  if (name.length > MAX_EXECUTION_NAME_LENGTH || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new InvalidAttemptError(
      `Execution name ${JSON.stringify(name)} is not 1-${MAX_EXECUTION_NAME_LENGTH} letters, digits, '-' or '_'.`,
    );
  }
  return name;
}

// ---------------------------------------------------------------------------------------------------------
// CodeCommit (EventBridge `CodeCommit Repository State Change`)

export interface CodeCommitStateChangeDetail {
  readonly event?: string;
  readonly repositoryName?: string;
  readonly referenceType?: string;
  readonly referenceName?: string;
  readonly referenceFullName?: string;
  readonly commitId?: string;
  readonly oldCommitId?: string;
  readonly callerUserArn?: string;
}

/** A CodeCommit state-change event as a push, or why it is not one (a tag, a deleted branch, …). */
export function pushFromCodeCommit(detail: CodeCommitStateChangeDetail): PushEvent | Ignored {
  const what = `${detail.repositoryName ?? '?'} ${detail.referenceFullName ?? detail.referenceName ?? '?'}`;
  if (detail.event !== 'referenceCreated' && detail.event !== 'referenceUpdated') {
    return {
      ignored: `CodeCommit ${detail.event ?? 'event'} on ${what}: only created or updated branches release`,
    };
  }
  if (detail.referenceType !== 'branch') {
    return { ignored: `CodeCommit ${detail.referenceType ?? 'reference'} ${what}: only branches release` };
  }
  if (!detail.repositoryName || !detail.referenceName || !detail.commitId || !SHA.test(detail.commitId)) {
    return { ignored: `CodeCommit event without repository, branch or commit id (${what})` };
  }
  return {
    source: 'codecommit',
    repository: detail.repositoryName,
    branch: detail.referenceName,
    ...(detail.oldCommitId && SHA.test(detail.oldCommitId) ? { before: detail.oldCommitId } : {}),
    after: detail.commitId,
    ...(detail.callerUserArn ? { pusher: detail.callerUserArn } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// GitHub (`push` webhook payload)

export interface GitHubPushPayload {
  readonly ref?: string;
  readonly before?: string;
  readonly after?: string;
  readonly created?: boolean;
  readonly deleted?: boolean;
  readonly forced?: boolean;
  readonly repository?: { readonly full_name?: string };
  readonly pusher?: { readonly name?: string; readonly email?: string };
  readonly sender?: { readonly login?: string };
  readonly commits?: readonly {
    readonly added?: readonly string[];
    readonly removed?: readonly string[];
    readonly modified?: readonly string[];
  }[];
}

/** What `value` is, for an error message: `number 123`, `array`, `null`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/**
 * The fields of a signed push payload that Sluice reads, checked for type: a payload that is validly signed
 * but badly typed (`ref: 123`, `commits: [null]`, `commits: "abc"`) is refused with what is wrong, never read
 * as something else. Empty when it is fine.
 */
export function githubPushProblems(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const expect = (path: string, value: unknown, type: 'string' | 'boolean' | 'object') => {
    if (value === undefined) return true;
    const ok =
      type === 'object'
        ? typeof value === 'object' && value !== null && !Array.isArray(value)
        : typeof value === type;
    if (!ok)
      problems.push(
        `${path} must be ${type === 'object' ? 'an object' : `a ${type}`}; received ${describeValue(value)}`,
      );
    return ok;
  };
  for (const field of ['ref', 'before', 'after'] as const) expect(field, payload[field], 'string');
  for (const field of ['created', 'deleted', 'forced'] as const) expect(field, payload[field], 'boolean');
  for (const field of ['repository', 'pusher', 'sender'] as const) {
    const value = payload[field];
    if (!expect(field, value, 'object') || value === undefined) continue;
    const o = value as Record<string, unknown>;
    for (const key of ['full_name', 'name', 'email', 'login']) expect(`${field}.${key}`, o[key], 'string');
  }
  const commits = payload.commits;
  if (commits !== undefined && !Array.isArray(commits)) {
    problems.push(`commits must be an array; received ${describeValue(commits)}`);
  } else {
    for (const [i, commit] of (commits ?? []).entries()) {
      if (!expect(`commits[${i}]`, commit, 'object') || commit === undefined) continue;
      const c = commit as Record<string, unknown>;
      expect(`commits[${i}].id`, c.id, 'string');
      for (const person of ['author', 'committer'] as const) {
        if (expect(`commits[${i}].${person}`, c[person], 'object') && c[person] !== undefined) {
          const p = c[person] as Record<string, unknown>;
          for (const key of ['name', 'email', 'username'])
            expect(`commits[${i}].${person}.${key}`, p[key], 'string');
        }
      }
      for (const list of ['added', 'removed', 'modified'] as const) {
        const paths = c[list];
        if (paths !== undefined && (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))) {
          problems.push(
            `commits[${i}].${list} must be an array of strings; received ${describeValue(paths)}`,
          );
        }
      }
    }
  }
  return problems.slice(0, 5);
}

/** GitHub lists at most this many commits in a push payload; beyond it, the changed paths are unknown. */
const GITHUB_MAX_COMMITS = 2048;

export function pushFromGitHub(payload: GitHubPushPayload): PushEvent | Ignored {
  const ref = payload.ref ?? '';
  const repository = payload.repository?.full_name;
  if (!ref.startsWith('refs/heads/'))
    return { ignored: `GitHub push to ${ref || '?'}: only branches release` };
  if (payload.deleted || (payload.after && ZERO_SHA.test(payload.after))) {
    return { ignored: `GitHub push deleted ${repository ?? '?'} ${ref}: nothing to release` };
  }
  if (!repository || !payload.after || !SHA.test(payload.after)) {
    return { ignored: `GitHub push without repository or head commit (${repository ?? '?'} ${ref})` };
  }
  const commits = payload.commits ?? [];
  // A new branch or a forced push lists only some of the changes; so does a push beyond GitHub's limit.
  const complete =
    !payload.created && !payload.forced && commits.length > 0 && commits.length < GITHUB_MAX_COMMITS;
  const changed = new Set<string>();
  for (const commit of commits) {
    for (const path of [...(commit.added ?? []), ...(commit.removed ?? []), ...(commit.modified ?? [])]) {
      changed.add(path);
    }
  }
  const before = payload.before && SHA.test(payload.before) && !ZERO_SHA.test(payload.before);
  const pusherIdentities = [
    ...new Set(
      [payload.pusher?.name, payload.pusher?.email, payload.sender?.login].filter((id): id is string => !!id),
    ),
  ];
  return {
    source: 'github',
    repository,
    branch: ref.slice('refs/heads/'.length),
    ...(before ? { before: payload.before } : {}),
    after: payload.after,
    ...(complete && changed.size <= MAX_CHANGED_PATHS ? { changedPaths: [...changed].sort() } : {}),
    ...(payload.pusher?.name || payload.sender?.login
      ? { pusher: (payload.pusher?.name || payload.sender?.login) as string }
      : {}),
    ...(pusherIdentities.length > 0 ? { pusherIdentities } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// What the router receives

/** An EventBridge event as the router's rules deliver it. */
export interface RouterEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: unknown;
}

/** The push an EventBridge event carries, or why the router ignores it. */
export function pushFromEvent(event: RouterEvent): PushEvent | Ignored {
  if (event.source === 'aws.codecommit' && event['detail-type'] === CODECOMMIT_DETAIL_TYPE) {
    return pushFromCodeCommit((event.detail ?? {}) as CodeCommitStateChangeDetail);
  }
  const sources: readonly string[] = Object.values(PUSH_EVENT_SOURCES);
  if (
    event.source !== undefined &&
    sources.includes(event.source) &&
    event['detail-type'] === PUSH_DETAIL_TYPE
  ) {
    const push = parsePushEvent(event.detail);
    // The bus source says who published it: a watcher's push may not pass for the webhook's, nor the reverse.
    const expected = event.source === PUSH_EVENT_SOURCES.github ? 'github' : 'local-git';
    if (!isIgnored(push) && push.source !== expected) {
      return { ignored: `push event from ${event.source} claims source ${push.source}` };
    }
    return push;
  }
  return { ignored: `event ${event.source ?? '?'} / ${event['detail-type'] ?? '?'} is not a push` };
}

/** Checks a normalized push event's fields (it crossed a bus, so it is input like any other). */
export function parsePushEvent(detail: unknown): PushEvent | Ignored {
  const d = (detail ?? {}) as Partial<Record<keyof PushEvent, unknown>>;
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (d.source !== 'codecommit' && d.source !== 'github' && d.source !== 'local-git') {
    return { ignored: `push event with source ${JSON.stringify(d.source)}` };
  }
  if (!str(d.repository) || !str(d.branch) || !str(d.after) || !SHA.test(d.after)) {
    return { ignored: 'push event without repository, branch or a 40-hex after commit' };
  }
  const paths = Array.isArray(d.changedPaths) && d.changedPaths.every(str) ? d.changedPaths : undefined;
  return {
    source: d.source,
    repository: d.repository,
    branch: d.branch,
    ...(str(d.before) && SHA.test(d.before) ? { before: d.before } : {}),
    after: d.after,
    ...(paths ? { changedPaths: paths as string[] } : {}),
    ...(str(d.pusher) ? { pusher: d.pusher } : {}),
    ...(Array.isArray(d.pusherIdentities) &&
    d.pusherIdentities.length <= 5 &&
    d.pusherIdentities.every((id) => str(id) && id.length <= 200)
      ? { pusherIdentities: d.pusherIdentities as string[] }
      : {}),
    ...(str(d.delivery) && DELIVERY_ID.test(d.delivery) ? { delivery: d.delivery } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Routing

/** The globs whose change releases a service, or undefined when every change does (`path: '.'`). */
export function pathFiltersOf(source: SourceConfig): readonly string[] | undefined {
  if (source.paths && source.paths.length > 0) return source.paths;
  const folder = repositoryFolderOf(source.path);
  return folder === '' ? undefined : [`${folder}/**`];
}

/** Does a push from `pushSource` come from the repository `source` names? Local git stands in for either. */
function sameRepository(source: SourceConfig, push: PushEvent): boolean {
  if (push.source !== 'local-git' && push.source !== source.provider) return false;
  if (source.provider === 'github') return source.repository.toLowerCase() === push.repository.toLowerCase();
  return source.repository === push.repository;
}

/** Services whose repository and tracked branch the push is on, before looking at paths. */
export function candidateServices(catalog: Catalog, push: PushEvent): ServiceConfig[] {
  return catalog.services.filter((s) => sameRepository(s.source, push) && s.source.branch === push.branch);
}

/** Does the change touch the service? Unknown changes (undefined) touch everything. */
export function touches(service: ServiceConfig, changedPaths: readonly string[] | undefined): boolean {
  const filters = pathFiltersOf(service.source);
  if (filters === undefined || changedPaths === undefined) return true;
  const positive = filters.filter((f) => !f.startsWith('!'));
  const negative = filters.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  const isMatch = picomatch(positive.length > 0 ? positive : ['**'], { dot: true, ignore: negative });
  return changedPaths.some((path) => isMatch(path));
}

export interface Route {
  /** Services released by the push. */
  readonly services: readonly ServiceConfig[];
  /** Why nothing is released, when `services` is empty. */
  readonly reason?: string;
}

/** Pure routing: repository + branch, then path globs. */
export function routePush(
  catalog: Catalog,
  push: PushEvent,
  changedPaths: readonly string[] | undefined = push.changedPaths,
): Route {
  const candidates = candidateServices(catalog, push);
  if (candidates.length === 0) {
    const known = catalog.services.some((s) => sameRepository(s.source, push));
    return {
      services: [],
      reason: known
        ? `branch ${push.branch} of ${push.repository} is not tracked by any service`
        : `repository ${push.repository} (${push.source}) belongs to no service in the catalog`,
    };
  }
  const services = candidates.filter((s) => touches(s, changedPaths));
  return services.length > 0
    ? { services }
    : {
        services: [],
        reason: `the push to ${push.repository} ${push.branch} touches none of ${candidates.map((s) => s.name).join(', ')}`,
      };
}

/** The execution input for one service released by a push. */
export function releaseRequestOf(service: ServiceConfig, push: PushEvent): ReleaseRequest {
  const trigger: ReleaseTrigger = {
    source: push.source,
    ...(push.pusher ? { actor: push.pusher } : {}),
    ...(push.pusherIdentities ? { actorIdentities: push.pusherIdentities } : {}),
    ...(push.delivery ? { delivery: push.delivery } : {}),
  };
  return {
    releaseId: releaseIdOf(service.name, push.after),
    service: service.name,
    commit: push.after,
    trigger,
  };
}
