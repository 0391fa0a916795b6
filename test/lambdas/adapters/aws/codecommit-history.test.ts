import { CodeCommitClient, GetCommitCommand, GetDifferencesCommand } from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CodeCommitSource } from '../../../../lambdas/adapters/aws/codecommit-source';
import { MAX_CHANGED_PATHS } from '../../../../lambdas/core/push-routing';
import { service } from './helpers';

const cc = mockClient(CodeCommitClient);
const source = service.source; // repository orders-repo, branch main, path services/orders
const sha = (n: number) => String(n).padStart(40, '0').replace(/^0/, 'c');
const meta = { $metadata: {} };

beforeEach(() => cc.reset());
afterAll(() => cc.restore());

/** A linear history c5 → c4 → … → c1 (newest first); commit n touches services/orders when `touching(n)`. */
function history(count: number, touching: (n: number) => boolean) {
  for (let n = 1; n <= count; n++) {
    cc.on(GetCommitCommand, { repositoryName: 'orders-repo', commitId: sha(n) }).resolves({
      commit: {
        commitId: sha(n),
        message: `change ${n}\n`,
        parents: n > 1 ? [sha(n - 1)] : [],
        author: { name: 'Dana', email: 'dana@example.com', date: `${1_700_000_000 + n} +0000` },
      },
      ...meta,
    });
    cc.on(GetDifferencesCommand, { afterCommitSpecifier: sha(n), afterPath: 'services/orders' }).resolves({
      differences: touching(n) ? [{ changeType: 'M', afterBlob: { path: 'services/orders/a.ts' } }] : [],
      ...meta,
    });
  }
}

describe('CodeCommitSource.listCommits', () => {
  it('walks first parents back to the live commit, keeping those that touch the service folder', async () => {
    history(5, (n) => n !== 4);
    const commits = await new CodeCommitSource(new CodeCommitClient({})).listCommits(source, sha(5), sha(2));
    expect(commits.map((c) => c.message)).toEqual(['change 5', 'change 3']);
    expect(commits[0]).toEqual({
      sha: sha(5),
      author: 'Dana <dana@example.com>',
      message: 'change 5',
      time: new Date((1_700_000_000 + 5) * 1000).toISOString(),
    });
    expect(cc.commandCalls(GetCommitCommand).map((c) => c.args[0].input.commitId)).toEqual([
      sha(5),
      sha(4),
      sha(3),
    ]);
    expect(cc.commandCalls(GetDifferencesCommand)[0]?.args[0].input).toMatchObject({
      beforeCommitSpecifier: sha(3),
      afterCommitSpecifier: sha(4),
      beforePath: 'services/orders',
      afterPath: 'services/orders',
      MaxResults: 1,
    });
  });

  it('is bounded by the limit when there is no live release', async () => {
    history(8, () => true);
    const commits = await new CodeCommitSource(new CodeCommitClient({})).listCommits(
      source,
      sha(8),
      undefined,
      3,
    );
    expect(commits.map((c) => c.sha)).toEqual([sha(8), sha(7), sha(6)]);
    expect(cc.commandCalls(GetCommitCommand)).toHaveLength(3);
  });

  it('lists only the release commit when it is what is live', async () => {
    history(2, () => true);
    const commits = await new CodeCommitSource(new CodeCommitClient({})).listCommits(source, sha(2), sha(2));
    expect(commits.map((c) => c.sha)).toEqual([sha(2)]);
  });
});

describe('CodeCommitSource.changedPaths', () => {
  it('collects both sides of every difference across pages', async () => {
    cc.on(GetDifferencesCommand)
      .resolvesOnce({
        differences: [
          { beforeBlob: { path: 'old/name.ts' }, afterBlob: { path: 'new/name.ts' }, changeType: 'M' },
        ],
        NextToken: 'p2',
        ...meta,
      })
      .resolvesOnce({
        differences: [{ afterBlob: { path: 'services/orders/x.ts' }, changeType: 'A' }],
        ...meta,
      });
    const paths = await new CodeCommitSource(new CodeCommitClient({})).changedPaths(source, sha(1), sha(2));
    expect(paths).toEqual(['new/name.ts', 'old/name.ts', 'services/orders/x.ts']);
    expect(cc.commandCalls(GetDifferencesCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'orders-repo', beforeCommitSpecifier: sha(1), afterCommitSpecifier: sha(2) },
      {
        repositoryName: 'orders-repo',
        beforeCommitSpecifier: sha(1),
        afterCommitSpecifier: sha(2),
        NextToken: 'p2',
      },
    ]);
  });

  it('answers "unknown" for a new branch and for too many files', async () => {
    const src = new CodeCommitSource(new CodeCommitClient({}));
    expect(await src.changedPaths(source, undefined, sha(2))).toBeUndefined();
    cc.on(GetDifferencesCommand).resolves({
      differences: Array.from({ length: MAX_CHANGED_PATHS + 1 }, (_, i) => ({
        afterBlob: { path: `f${i}` },
      })),
      NextToken: 'more',
      ...meta,
    });
    expect(await src.changedPaths(source, sha(1), sha(2))).toBeUndefined();
    expect(cc.commandCalls(GetDifferencesCommand)).toHaveLength(1);
  });
});
