import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MissingResourceError } from '../../../../lambdas/adapters/aws/errors';
import { SecretsManagerSlackSecret } from '../../../../lambdas/adapters/aws/secrets-manager-slack';
import { awsError } from './helpers';

const sm = mockClient(SecretsManagerClient);
beforeEach(() => sm.reset());

describe('SecretsManagerSlackSecret', () => {
  it('reads the signing secret and webhook URL once per 5 minutes', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        signingSecret: 's3cr3t',
        webhookUrl: 'https://hooks.slack.com/services/T/B/x',
      }),
    });
    let t = 0;
    const secret = new SecretsManagerSlackSecret(new SecretsManagerClient({}), 'arn:slack', () => t);
    expect(await secret.value()).toEqual({
      signingSecret: 's3cr3t',
      webhookUrl: 'https://hooks.slack.com/services/T/B/x',
    });
    await secret.value();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: 'arn:slack' });
    t = 300_001;
    await secret.value();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('leaves the webhook out when empty (Slack not configured yet)', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ signingSecret: 'x', webhookUrl: '' }),
    });
    expect(await new SecretsManagerSlackSecret(new SecretsManagerClient({}), 'arn').value()).toEqual({
      signingSecret: 'x',
    });
  });

  it('says what the secret must hold, without echoing it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'not-json-hunter2' });
    const error = await new SecretsManagerSlackSecret(new SecretsManagerClient({}), 'arn:s')
      .value()
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(MissingResourceError);
    expect((error as Error).message).toContain('must hold JSON {"signingSecret"');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('names a missing secret', async () => {
    sm.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(
      new SecretsManagerSlackSecret(new SecretsManagerClient({}), 'arn:gone').value(),
    ).rejects.toThrow(/Slack secret arn:gone does not exist/);
  });
});
