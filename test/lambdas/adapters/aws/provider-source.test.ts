import { CodeCommitClient, GetCommitCommand } from '@aws-sdk/client-codecommit';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsSourceRepository, ProviderSource } from '../../../../lambdas/adapters/aws/provider-source';
import type { SourceConfig } from '../../../../lambdas/core/catalog/types';
import type { SourceRepository } from '../../../../lambdas/core/ports';
import { ENV } from '../../../../lambdas/runtime/env';

const codecommit: SourceConfig = { repository: 'orders', provider: 'codecommit', branch: 'main', path: '.' };
const github: SourceConfig = { repository: 'acme/greeter', provider: 'github', branch: 'main', path: '.' };
const SHA = 'b'.repeat(40);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:sluice-github-token-AbCdEf';

/** A repository that answers resolveCommit with its own name, to see where a call went. */
function named(name: string): SourceRepository {
  return {
    resolveCommit: async () => ({ sha: name, author: '', message: '', time: '' }),
    checkout: async () => {},
    listCommits: async () => [{ sha: name, author: '', message: '', time: '' }],
    changedPaths: async () => [name],
  };
}

describe('ProviderSource', () => {
  it('sends each call to the repository of source.provider, building each one once, on first use', async () => {
    const built: string[] = [];
    const source = new ProviderSource({
      codecommit: () => {
        built.push('codecommit');
        return named('codecommit');
      },
      github: () => {
        built.push('github');
        return named('github');
      },
    });
    expect(built).toEqual([]);
    expect((await source.resolveCommit(codecommit)).sha).toBe('codecommit');
    expect(built).toEqual(['codecommit']);
    expect((await source.resolveCommit(github)).sha).toBe('github');
    expect((await source.listCommits(github, SHA)).map((c) => c.sha)).toEqual(['github']);
    expect(await source.changedPaths(codecommit, SHA, SHA)).toEqual(['codecommit']);
    expect(built).toEqual(['codecommit', 'github']);
  });
});

describe('awsSourceRepository', () => {
  const cc = mockClient(CodeCommitClient);
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => {
    cc.reset();
    sm.reset();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('reads CodeCommit services through CodeCommit without touching the GitHub token', async () => {
    vi.stubEnv(ENV.githubTokenSecretArn, '');
    cc.on(GetCommitCommand).resolves({ commit: { commitId: SHA, message: 'm' } });
    expect((await awsSourceRepository().resolveCommit(codecommit, SHA)).sha).toBe(SHA);
    expect(sm.calls()).toHaveLength(0);
  });

  it('reads GitHub services with the token from the secret named by the environment', async () => {
    vi.stubEnv(ENV.githubTokenSecretArn, SECRET_ARN);
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'github_pat_test' });
    const sent: { url: string; auth: string }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent.push({ url, auth: (init.headers as Record<string, string>).Authorization ?? '' });
      return new Response(JSON.stringify({ sha: SHA, commit: { message: 'hi' } }));
    });
    expect((await awsSourceRepository().resolveCommit(github, SHA)).sha).toBe(SHA);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(sent).toEqual([
      { url: `https://api.github.com/repos/acme/greeter/commits/${SHA}`, auth: 'Bearer github_pat_test' },
    ]);
    expect(cc.calls()).toHaveLength(0);
  });

  it('names the missing environment variable and what to put in an empty secret', async () => {
    vi.stubEnv(ENV.githubTokenSecretArn, '');
    await expect(awsSourceRepository().resolveCommit(github)).rejects.toThrow(ENV.githubTokenSecretArn);
    vi.stubEnv(ENV.githubTokenSecretArn, SECRET_ARN);
    sm.on(GetSecretValueCommand).resolves({ SecretString: '' });
    await expect(awsSourceRepository().resolveCommit(github)).rejects.toThrow(
      `GitHub token secret ${SECRET_ARN} has no value; put a fine-grained GitHub token with read-only Contents access`,
    );
  });
});
