import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerNpmrc } from '../../../../lambdas/adapters/aws/secrets-manager-npmrc';
import { service } from '../../../lib/fixtures';
import { awsError } from './helpers';

const sm = mockClient(SecretsManagerClient);
const npmrc = () => new SecretsManagerNpmrc(new SecretsManagerClient({}));
const NPMRC = 'registry=https://npm.example.test/\n//npm.example.test/:_authToken=npm_s3cr3t\n';

beforeEach(() => sm.reset());

describe('SecretsManagerNpmrc', () => {
  it('reads the secret the catalog names, by name', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: NPMRC });
    await expect(
      npmrc().npmrcFor(service('api', { dependencies: { npmrcSecret: 'team/npmrc' } })),
    ).resolves.toBe(NPMRC);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'team/npmrc' },
    ]);
  });

  it('makes no call for a service that names no secret', async () => {
    await expect(npmrc().npmrcFor(service('api'))).resolves.toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('names a missing or empty secret and the catalog field, never a value', async () => {
    const config = service('api', { dependencies: { npmrcSecret: 'team/npmrc' } });
    sm.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(npmrc().npmrcFor(config)).rejects.toMatchObject({
      name: 'MissingResourceError',
      message: expect.stringContaining(
        'The npmrc secret team/npmrc of api does not exist: create it with the registry',
      ),
    });
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: '  \n' });
    await expect(npmrc().npmrcFor(config)).rejects.toThrow('has no text value');
  });
});
