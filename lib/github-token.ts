import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/runtime/env';
import { grantSecretValue } from './grants';
import type { SluiceFunction } from './sluice-function';

export interface GitHubTokenProps {
  /**
   * Key that encrypts the secret.
   * @default - the account's AWS managed key for Secrets Manager (aws/secretsmanager)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The token the source-reading handlers call the GitHub REST API with (services whose `source.provider` is
 * `github`). Sluice creates the secret with a random placeholder; the platform team puts a fine-grained, read-only
 * token in it. One secret for every GitHub service, so nothing here grows with the catalog.
 */
export class GitHubToken extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: GitHubTokenProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Sluice: GitHub token for reading service source. Put a fine-grained personal access token (or a GitHub ' +
        'App installation token) here with read-only Contents access to the service repositories.',
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is issued by GitHub, not by AWS: a rotation Lambda cannot mint a new one, so it is replaced by ' +
        'hand before it expires (put-secret-value with a new fine-grained token).',
    });

    // On the stack itself, so the output key is the name the README uses.
    new CfnOutput(Stack.of(this), 'GitHubTokenSecretArn', {
      description:
        'GitHub token secret: aws secretsmanager put-secret-value --secret-id <this> --secret-string <token>',
      value: this.secret.secretArn,
    });
  }

  /** Lets `handler` read the token and tells it where the secret is (SLUICE_GITHUB_TOKEN_SECRET_ARN). */
  grantRead(handler: SluiceFunction): void {
    grantSecretValue(handler, this.secret);
    handler.function.addEnvironment(ENV.githubTokenSecretArn, this.secret.secretArn);
  }
}
