import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { SecretsManagerSigningKeys } from '../../../../lambdas/adapters/aws/secrets-manager-signing-keys';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

const sm = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sluice-signing-AbCdEf';
let clock = 0;
const keys = () => new SecretsManagerSigningKeys(new SecretsManagerClient({}), ARN, { now: () => clock });

beforeEach(() => {
  sm.reset();
  clock = 5_000_000;
});

describe('SecretsManagerSigningKeys', () => {
  it('returns the bytes of SecretString', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'k3y-materiäl' });
    const key = await keys().signingKey();
    expect(new TextDecoder().decode(key)).toBe('k3y-materiäl');
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN });
  });

  it('falls back to SecretBinary', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([9, 8, 7]) });
    await expect(keys().signingKey()).resolves.toEqual(new Uint8Array([9, 8, 7]));
  });

  it('caches the key for 5 minutes and shares one request between concurrent callers', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'one' }).resolves({ SecretString: 'two' });
    const provider = keys();
    const [a, b] = await Promise.all([provider.signingKey(), provider.signingKey()]);
    expect(a).toBe(b);
    clock += 5 * 60_000 - 1;
    expect(new TextDecoder().decode(await provider.signingKey())).toBe('one');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock += 1;
    expect(new TextDecoder().decode(await provider.signingKey())).toBe('two');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('names a missing secret without revealing anything about its value', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    const error = await keys()
      .signingKey()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toContain(`Signing secret ${ARN} does not exist`);
  });

  it('refuses an empty secret, and the message never contains the value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '' });
    await expect(keys().signingKey()).rejects.toThrow(/has no value/);
  });

  it('maps InternalServiceError to TransientError and does not cache the failure', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(awsError('InternalServiceError', { status: 500 }))
      .resolves({ SecretString: 'ok' });
    const provider = keys();
    await expect(provider.signingKey()).rejects.toBeInstanceOf(TransientError);
    await expect(provider.signingKey()).resolves.toEqual(new TextEncoder().encode('ok'));
  });
});
