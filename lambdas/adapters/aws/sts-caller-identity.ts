/**
 * Who the caller's AWS credentials belong to, as STS proves it (GetCallerIdentity needs no permission and
 * cannot be denied): what `sluice approve|reject --aws` decides as, instead of a typed `--as`.
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { mapAwsError } from './errors';

/** STS answered without an ARN: no identity can be proved. */
export class CallerIdentityError extends Error {
  override readonly name = 'CallerIdentityError';
}

export class StsCallerIdentity {
  constructor(private readonly sts: STSClient) {}

  /** The caller's principal ARN: an IAM user, or an assumed-role session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
  async principalArn(): Promise<string> {
    let arn: string | undefined;
    try {
      ({ Arn: arn } = await this.sts.send(new GetCallerIdentityCommand({})));
    } catch (error) {
      throw mapAwsError(error, 'STS GetCallerIdentity (who your AWS credentials belong to)');
    }
    if (!arn)
      throw new CallerIdentityError('STS GetCallerIdentity returned no ARN; cannot tell who is deciding.');
    return arn;
  }
}
