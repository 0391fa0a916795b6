import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BranchDoesNotExistException,
  CodeCommitClient,
  CommitDoesNotExistException,
  FolderDoesNotExistException,
  GetBlobCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetFolderCommand,
  RepositoryDoesNotExistException,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CodeCommitSource,
  codeCommitDateToIso,
  folderPathOf,
} from '../../../../lambdas/adapters/aws/codecommit-source';
import { SourceNotFoundError, TransientError } from '../../../../lambdas/core/errors';
import { awsError, service } from './helpers';

const cc = mockClient(CodeCommitClient);
const source = service.source; // repository orders-repo, branch main, path services/orders
const SHA = 'a'.repeat(40);
const meta = { $metadata: {} };

let dir: string;
beforeEach(async () => {
  cc.reset();
  dir = await mkdtemp(join(tmpdir(), 'sluice-cc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const commit = {
  commitId: SHA,
  treeId: 't',
  parents: [],
  message: 'Add refunds\n\nLonger body.\n',
  author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '1484167798 -0800' },
  committer: { name: 'CI', email: 'ci@example.com', date: '1484167900 +0000' },
};

describe('CodeCommitSource.resolveCommit', () => {
  it('reads the head of the tracked branch, then that commit', async () => {
    cc.on(GetBranchCommand).resolves({ branch: { branchName: 'main', commitId: SHA } });
    cc.on(GetCommitCommand).resolves({ commit });

    const info = await new CodeCommitSource(new CodeCommitClient({})).resolveCommit(source);

    expect(cc.commandCalls(GetBranchCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'orders-repo',
      branchName: 'main',
    });
    expect(cc.commandCalls(GetCommitCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'orders-repo',
      commitId: SHA,
    });
    expect(info).toEqual({
      sha: SHA,
      author: 'Ada Lovelace <ada@example.com>',
      committer: 'CI <ci@example.com>',
      message: 'Add refunds\n\nLonger body.',
      time: '2017-01-11T20:49:58.000Z',
    });
  });

  it('with a ref, reads only that commit', async () => {
    cc.on(GetCommitCommand).resolves({ commit });
    await new CodeCommitSource(new CodeCommitClient({})).resolveCommit(source, SHA);
    expect(cc.commandCalls(GetBranchCommand)).toHaveLength(0);
    expect(cc.commandCalls(GetCommitCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'orders-repo',
      commitId: SHA,
    });
  });

  it('names the branch and repository when the branch does not exist', async () => {
    cc.on(GetBranchCommand).rejects(
      new BranchDoesNotExistException({ message: 'Branch not found', ...meta }),
    );
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .resolveCommit(source)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect((error as Error).message).toBe(
      'Branch main does not exist in CodeCommit repository orders-repo; check source.branch in the catalog or push the branch.',
    );
  });

  it('names the repository when it does not exist', async () => {
    cc.on(GetBranchCommand).rejects(new RepositoryDoesNotExistException({ message: 'x', ...meta }));
    await expect(new CodeCommitSource(new CodeCommitClient({})).resolveCommit(source)).rejects.toThrow(
      /CodeCommit repository orders-repo does not exist .*check source.repository/,
    );
  });

  it('names the commit (and asks for a full sha) when a ref does not exist', async () => {
    cc.on(GetCommitCommand).rejects(new CommitDoesNotExistException({ message: 'x', ...meta }));
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .resolveCommit(source, 'deadbeef')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect((error as Error).message).toMatch(
      /Commit deadbeef does not exist in CodeCommit repository orders-repo; pass the full/,
    );
  });

  it('maps throttling to TransientError', async () => {
    cc.on(GetBranchCommand).rejects(awsError('ThrottlingException', { message: 'Rate exceeded' }));
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .resolveCommit(source)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('Rate exceeded');
  });

  it('fails clearly when the branch has no commit', async () => {
    cc.on(GetBranchCommand).resolves({ branch: { branchName: 'main' } });
    await expect(new CodeCommitSource(new CodeCommitClient({})).resolveCommit(source)).rejects.toThrow(
      'Branch main of CodeCommit repository orders-repo has no commits; push one first.',
    );
  });
});

describe('CodeCommitSource.checkout', () => {
  const blob = (text: string) => ({ content: new TextEncoder().encode(text) });

  it('walks GetFolder recursively at the commit and writes each blob below source.path into the folder', async () => {
    cc.on(GetFolderCommand, { folderPath: '/services/orders' }).resolves({
      commitId: SHA,
      folderPath: 'services/orders',
      files: [
        {
          blobId: 'b-pkg',
          absolutePath: 'services/orders/package.json',
          relativePath: 'package.json',
          fileMode: 'NORMAL',
        },
        {
          blobId: 'b-run',
          absolutePath: 'services/orders/run.sh',
          relativePath: 'run.sh',
          fileMode: 'EXECUTABLE',
        },
        { blobId: 'b-link', absolutePath: 'services/orders/link', relativePath: 'link', fileMode: 'SYMLINK' },
      ],
      subFolders: [{ absolutePath: 'services/orders/src', relativePath: 'src', treeId: 't1' }],
      symbolicLinks: [
        { blobId: 'b-sym', absolutePath: 'services/orders/sym', relativePath: 'sym', fileMode: 'SYMLINK' },
      ],
    });
    cc.on(GetFolderCommand, { folderPath: 'services/orders/src' }).resolves({
      commitId: SHA,
      folderPath: 'services/orders/src',
      files: [{ blobId: 'b-h', absolutePath: 'services/orders/src/handler.ts', relativePath: 'handler.ts' }],
      subFolders: [{ absolutePath: 'services/orders/src/lib', relativePath: 'lib' }],
    });
    cc.on(GetFolderCommand, { folderPath: 'services/orders/src/lib' }).resolves({
      commitId: SHA,
      folderPath: 'services/orders/src/lib',
      files: [{ blobId: 'b-u', absolutePath: 'services/orders/src/lib/util.ts', relativePath: 'util.ts' }],
    });
    cc.on(GetBlobCommand, { blobId: 'b-pkg' }).resolves(blob('{"name":"orders"}'));
    cc.on(GetBlobCommand, { blobId: 'b-run' }).resolves(blob('#!/bin/sh\n'));
    cc.on(GetBlobCommand, { blobId: 'b-h' }).resolves(blob('export const handler = 1;'));
    cc.on(GetBlobCommand, { blobId: 'b-u' }).resolves(blob('export const u = 2;'));

    await new CodeCommitSource(new CodeCommitClient({})).checkout(source, SHA, dir);

    expect(cc.commandCalls(GetFolderCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'orders-repo', commitSpecifier: SHA, folderPath: '/services/orders' },
      { repositoryName: 'orders-repo', commitSpecifier: SHA, folderPath: 'services/orders/src' },
      { repositoryName: 'orders-repo', commitSpecifier: SHA, folderPath: 'services/orders/src/lib' },
    ]);
    // Symlinks are never fetched.
    expect(
      cc
        .commandCalls(GetBlobCommand)
        .map((c) => c.args[0].input.blobId)
        .sort(),
    ).toEqual(['b-h', 'b-pkg', 'b-run', 'b-u']);
    expect(cc.commandCalls(GetBlobCommand)[0]!.args[0].input).toMatchObject({
      repositoryName: 'orders-repo',
    });
    expect((await readdir(dir, { recursive: true })).sort()).toEqual([
      'package.json',
      'run.sh',
      'src',
      join('src', 'handler.ts'),
      join('src', 'lib'),
      join('src', 'lib', 'util.ts'),
    ]);
    expect(await readFile(join(dir, 'src/lib/util.ts'), 'utf8')).toBe('export const u = 2;');
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{"name":"orders"}');
    expect((await stat(join(dir, 'run.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(dir, 'package.json'))).mode & 0o111).toBe(0);
  });

  it('asks for the repository root as "/" when source.path is "."', async () => {
    cc.on(GetFolderCommand).resolves({ commitId: SHA, folderPath: '/', files: [] });
    await new CodeCommitSource(new CodeCommitClient({})).checkout({ ...source, path: '.' }, SHA, dir);
    expect(cc.commandCalls(GetFolderCommand)[0]!.args[0].input.folderPath).toBe('/');
  });

  it('refuses a path that escapes the checkout folder and writes nothing outside it', async () => {
    cc.on(GetFolderCommand).resolves({
      commitId: SHA,
      folderPath: '/services/orders',
      files: [{ blobId: 'b-evil', relativePath: '../evil.txt', fileMode: 'NORMAL' }],
    });
    cc.on(GetBlobCommand).resolves(blob('pwned'));
    const inner = join(dir, 'checkout');
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .checkout(source, SHA, inner)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect((error as Error).message).toMatch(
      /Refusing to write "\.\.\/evil\.txt".*outside the checkout folder/,
    );
    expect(cc.commandCalls(GetBlobCommand)).toHaveLength(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps at most 8 CodeCommit calls in flight', async () => {
    const files = Array.from({ length: 30 }, (_, i) => ({ blobId: `b${i}`, relativePath: `f${i}.txt` }));
    cc.on(GetFolderCommand).resolves({ commitId: SHA, folderPath: '/services/orders', files });
    let inFlight = 0;
    let peak = 0;
    cc.on(GetBlobCommand).callsFake(async (input: { blobId: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return blob(input.blobId);
    });
    await new CodeCommitSource(new CodeCommitClient({})).checkout(source, SHA, dir);
    expect(peak).toBe(8);
    expect(await readdir(dir)).toHaveLength(30);
    expect(await readFile(join(dir, 'f29.txt'), 'utf8')).toBe('b29');
  });

  it('names repository, commit and folder when source.path does not exist at that commit', async () => {
    cc.on(GetFolderCommand).rejects(new FolderDoesNotExistException({ message: 'x', ...meta }));
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .checkout(source, SHA, dir)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect((error as Error).message).toBe(
      `Folder /services/orders does not exist in CodeCommit repository orders-repo at commit ${SHA}; check source.path in the catalog.`,
    );
  });

  it('maps a throttled GetBlob to TransientError naming the file', async () => {
    cc.on(GetFolderCommand).resolves({
      commitId: SHA,
      folderPath: '/services/orders',
      files: [{ blobId: 'b1', relativePath: 'a.ts' }],
    });
    cc.on(GetBlobCommand).rejects(awsError('ThrottlingException'));
    const error = await new CodeCommitSource(new CodeCommitClient({}))
      .checkout(source, SHA, dir)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain(`CodeCommit GetBlob orders-repo@${SHA}:a.ts`);
  });

  it('refuses a source.path that leaves the repository', async () => {
    await expect(
      new CodeCommitSource(new CodeCommitClient({})).checkout({ ...source, path: '../other' }, SHA, dir),
    ).rejects.toBeInstanceOf(SourceNotFoundError);
    expect(cc.commandCalls(GetFolderCommand)).toHaveLength(0);
  });
});

describe('helpers', () => {
  it('folderPathOf makes CodeCommit folder paths', () => {
    expect(folderPathOf('.')).toBe('/');
    expect(folderPathOf('')).toBe('/');
    expect(folderPathOf('./services/api/')).toBe('/services/api');
  });

  it('codeCommitDateToIso reads "<epoch seconds> <offset>" and tolerates other forms', () => {
    expect(codeCommitDateToIso('1484167798 -0800')).toBe('2017-01-11T20:49:58.000Z');
    expect(codeCommitDateToIso('1484167798')).toBe('2017-01-11T20:49:58.000Z');
    expect(codeCommitDateToIso('2024-05-01T10:00:00Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(codeCommitDateToIso('garbage')).toBeUndefined();
    expect(codeCommitDateToIso(undefined)).toBeUndefined();
  });
});
