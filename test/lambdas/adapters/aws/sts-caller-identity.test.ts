import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { StsCallerIdentity } from '../../../../lambdas/adapters/aws/sts-caller-identity';
import { TransientError } from '../../../../lambdas/core/errors';
import { awsError } from './helpers';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());
afterAll(() => sts.restore());
const caller = () => new StsCallerIdentity(new STSClient({ region: 'eu-west-1' }));

describe('StsCallerIdentity', () => {
  it('asks STS GetCallerIdentity, with no parameters, for the principal ARN', async () => {
    const arn = 'arn:aws:sts::111122223333:assumed-role/release-approver/alice';
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: arn, Account: '111122223333', UserId: 'AROAEXAMPLE:alice' });
    await expect(caller().principalArn()).resolves.toBe(arn);
    expect(sts.commandCalls(GetCallerIdentityCommand).map((c) => c.args[0].input)).toEqual([{}]);
  });

  it('fails with a named error when STS names no ARN, and maps throttling to TransientError', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolvesOnce({})
      .rejectsOnce(awsError('ThrottlingException', { message: 'slow down' }));
    await expect(caller().principalArn()).rejects.toMatchObject({ name: 'CallerIdentityError' });
    await expect(caller().principalArn()).rejects.toBeInstanceOf(TransientError);
  });
});
