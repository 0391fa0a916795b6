import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { SecretsManagerGitHubToken } from '../../../../lambdas/adapters/aws/secrets-manager-github-token';

const sm = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sluice-github-token-AbCdEf';
let clock = 0;
const token = () => new SecretsManagerGitHubToken(new SecretsManagerClient({}), ARN, { now: () => clock });

beforeEach(() => {
  sm.reset();
  clock = 5_000_000;
});

describe('SecretsManagerGitHubToken', () => {
  it('returns the secret as text without surrounding whitespace, and caches it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '  github_pat_11ABC\n' });
    const provider = token();
    await expect(provider.githubToken()).resolves.toBe('github_pat_11ABC');
    await expect(provider.githubToken()).resolves.toBe('github_pat_11ABC');
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);
  });

  it('names the GitHub token secret and what to put in it when the secret is empty, without a value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const error = await token()
      .githubToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toMatch(
      /^GitHub token secret arn:.* has no value; put a fine-grained GitHub token/,
    );
  });
});
