import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../../lambdas/core/catalog/types';
import {
  eventEntrySize,
  isIgnored,
  MAX_EVENT_ENTRY_BYTES,
  type PushEvent,
  PushEventTooLargeError,
  parsePushEvent,
  pushEventEntry,
  pushFromCodeCommit,
  pushFromEvent,
  pushFromGitHub,
  releaseIdOf,
  routePush,
  touches,
} from '../../../lambdas/core/push-routing';
import { service } from '../../lib/fixtures';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/** AWS's documented sample of a CodeCommit Repository State Change event, with our values. */
function codeCommitEvent(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: '01234567-0123-0123-0123-012345678901',
    'detail-type': 'CodeCommit Repository State Change',
    source: 'aws.codecommit',
    account: '123456789012',
    time: '2026-12-04T12:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:codecommit:us-east-1:123456789012:greeter'],
    detail: {
      callerUserArn: 'arn:aws:iam::123456789012:user/dana',
      commitId: B,
      event: 'referenceUpdated',
      oldCommitId: A,
      referenceFullName: 'refs/heads/main',
      referenceName: 'main',
      referenceType: 'branch',
      repositoryId: '12345678-1234-5678-abcd-12345678abcd',
      repositoryName: 'greeter',
      ...detail,
    },
  };
}

const monorepo: Catalog = {
  version: 1,
  services: [
    service('api', { source: { repository: 'shop', path: 'services/api' } }),
    service('web', {
      source: { repository: 'shop', path: 'services/web', paths: ['services/web/**', 'shared/**'] },
    }),
    service('greeter', { source: { repository: 'greeter' } }),
    service('octo', { source: { repository: 'acme/Octo', provider: 'github', branch: 'release' } }),
  ],
};

const push = (over: Partial<PushEvent> = {}): PushEvent => ({
  source: 'codecommit',
  repository: 'shop',
  branch: 'main',
  before: A,
  after: B,
  ...over,
});

describe('CodeCommit state-change events', () => {
  it('turns an update of a tracked branch into a push that releases its service', () => {
    const p = pushFromEvent(codeCommitEvent({}));
    expect(p).toEqual({
      source: 'codecommit',
      repository: 'greeter',
      branch: 'main',
      before: A,
      after: B,
      pusher: 'arn:aws:iam::123456789012:user/dana',
    });
    expect(routePush(monorepo, p as PushEvent).services.map((s) => s.name)).toEqual(['greeter']);
  });

  it('treats a created branch as a push without a previous head', () => {
    const p = pushFromEvent(codeCommitEvent({ event: 'referenceCreated', oldCommitId: undefined }));
    expect(p).toMatchObject({ branch: 'main', after: B });
    expect(p).not.toHaveProperty('before');
  });

  it('routes an untracked branch to nothing, saying why', () => {
    const p = pushFromEvent(
      codeCommitEvent({ referenceName: 'feature/x', referenceFullName: 'refs/heads/feature/x' }),
    );
    const route = routePush(monorepo, p as PushEvent);
    expect(route.services).toEqual([]);
    expect(route.reason).toBe('branch feature/x of greeter is not tracked by any service');
  });

  it('ignores a tag', () => {
    const p = pushFromEvent(
      codeCommitEvent({
        event: 'referenceCreated',
        referenceType: 'tag',
        referenceName: 'v1',
        referenceFullName: 'refs/tags/v1',
      }),
    );
    expect(isIgnored(p) && p.ignored).toMatch(/tag greeter refs\/tags\/v1: only branches release/);
  });

  it('ignores a deleted branch', () => {
    const p = pushFromEvent(codeCommitEvent({ event: 'referenceDeleted', commitId: undefined }));
    expect(isIgnored(p) && p.ignored).toMatch(/referenceDeleted .*only created or updated branches/);
  });

  it('ignores an unknown repository, saying so', () => {
    const p = pushFromEvent(codeCommitEvent({ repositoryName: 'nobody' }));
    expect(routePush(monorepo, p as PushEvent)).toEqual({
      services: [],
      reason: 'repository nobody (codecommit) belongs to no service in the catalog',
    });
  });

  it('ignores events that are not pushes', () => {
    expect(pushFromEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} })).toEqual({
      ignored: 'event aws.s3 / Object Created is not a push',
    });
    expect(isIgnored(pushFromCodeCommit({ event: 'referenceUpdated', referenceType: 'branch' }))).toBe(true);
  });
});

describe('GitHub push payloads', () => {
  const payload = {
    ref: 'refs/heads/release',
    before: A,
    after: B,
    repository: { full_name: 'acme/octo' },
    pusher: { name: 'octocat', email: 'octo@example.com' },
    commits: [{ added: ['src/a.ts'], modified: ['README.md'], removed: [] }, { modified: ['src/a.ts'] }],
  };

  it('normalizes a push with its changed files, and routes it case-insensitively by owner/name', () => {
    const p = pushFromGitHub(payload) as PushEvent;
    expect(p).toEqual({
      source: 'github',
      repository: 'acme/octo',
      branch: 'release',
      before: A,
      after: B,
      changedPaths: ['README.md', 'src/a.ts'],
      pusher: 'octocat',
      pusherIdentities: ['octocat', 'octo@example.com'],
    });
    expect(routePush(monorepo, p).services.map((s) => s.name)).toEqual(['octo']);
    // A GitHub push never releases a CodeCommit service of the same name.
    expect(routePush(monorepo, { ...p, repository: 'greeter', branch: 'main' }).services).toEqual([]);
  });

  it('does not claim to know the changed files of a new branch or a forced push', () => {
    expect(pushFromGitHub({ ...payload, created: true })).not.toHaveProperty('changedPaths');
    expect(pushFromGitHub({ ...payload, forced: true })).not.toHaveProperty('changedPaths');
    expect(pushFromGitHub({ ...payload, commits: [] })).not.toHaveProperty('changedPaths');
  });

  it('ignores tags, deleted branches and payloads without a head', () => {
    expect(pushFromGitHub({ ...payload, ref: 'refs/tags/v1' })).toEqual({
      ignored: 'GitHub push to refs/tags/v1: only branches release',
    });
    expect(isIgnored(pushFromGitHub({ ...payload, deleted: true, after: '0'.repeat(40) }))).toBe(true);
    expect(isIgnored(pushFromGitHub({ ...payload, after: 'nope' }))).toBe(true);
  });
});

describe('path globs (monorepos)', () => {
  it('starts two releases for a push touching two services, none for a push touching neither', () => {
    const both = routePush(monorepo, push({ changedPaths: ['services/api/src/x.ts', 'shared/util.ts'] }));
    expect(both.services.map((s) => s.name)).toEqual(['api', 'web']);
    const neither = routePush(monorepo, push({ changedPaths: ['docs/readme.md', 'services/apix/y.ts'] }));
    expect(neither.services).toEqual([]);
    expect(neither.reason).toBe('the push to shop main touches none of api, web');
    const one = routePush(monorepo, push({ changedPaths: ['services/web/index.html'] }));
    expect(one.services.map((s) => s.name)).toEqual(['web']);
  });

  it('treats unknown changes as touching every service of the branch', () => {
    expect(routePush(monorepo, push()).services.map((s) => s.name)).toEqual(['api', 'web']);
  });

  it('honours negated globs and dot files', () => {
    const svc = service('api', {
      source: { repository: 'shop', paths: ['services/api/**', '!services/api/docs/**'] },
    });
    expect(touches(svc, ['services/api/docs/a.md'])).toBe(false);
    expect(touches(svc, ['services/api/.env.example'])).toBe(true);
  });
});

describe('normalized push events crossing the bus', () => {
  it('accepts a well-formed event and refuses a malformed one', () => {
    const detail = push({ source: 'github', repository: 'acme/octo', changedPaths: ['a'] });
    expect(pushFromEvent({ source: 'sluice.github', 'detail-type': 'Sluice Push', detail })).toEqual(detail);
    expect(parsePushEvent({ ...detail, after: 'HEAD' })).toEqual({
      ignored: 'push event without repository, branch or a 40-hex after commit',
    });
    expect(parsePushEvent({ ...detail, source: 'svn' })).toEqual({ ignored: 'push event with source "svn"' });
  });

  it("refuses a push whose bus source and detail source disagree: a watcher's push never passes for the webhook's", () => {
    const github = push({ source: 'github', repository: 'acme/octo' });
    const local = push({ source: 'local-git', repository: 'acme/octo' });
    expect(
      pushFromEvent({ source: 'sluice.local-git', 'detail-type': 'Sluice Push', detail: github }),
    ).toEqual({
      ignored: 'push event from sluice.local-git claims source github',
    });
    expect(pushFromEvent({ source: 'sluice.github', 'detail-type': 'Sluice Push', detail: local })).toEqual({
      ignored: 'push event from sluice.github claims source local-git',
    });
    expect(
      pushFromEvent({ source: 'sluice.local-git', 'detail-type': 'Sluice Push', detail: local }),
    ).toEqual(local);
  });

  it("keeps an event under EventBridge's 256 KB entry limit: without its paths, or refused when still too large", () => {
    const paths = Array.from({ length: 1000 }, (_, i) => `services/api/${'deep/'.repeat(60)}file-${i}.ts`);
    const big = push({ source: 'github', repository: 'acme/octo', changedPaths: paths });
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_EVENT_ENTRY_BYTES);
    const entry = pushEventEntry(big);
    expect(eventEntrySize(entry)).toBeLessThanOrEqual(MAX_EVENT_ENTRY_BYTES);
    expect(JSON.parse(entry.Detail)).toEqual({ ...big, changedPaths: undefined });
    const small = push({ source: 'github', repository: 'acme/octo', changedPaths: ['a.ts'] });
    expect(JSON.parse(pushEventEntry(small).Detail)).toEqual(small);
    expect(() => pushEventEntry({ ...big, branch: 'b'.repeat(MAX_EVENT_ENTRY_BYTES) })).toThrow(
      PushEventTooLargeError,
    );
  });

  it('names executions <service>-<sha12>', () => {
    expect(releaseIdOf('greeter', B)).toBe('greeter-bbbbbbbbbbbb');
  });
});
