import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GitHubTokenProvider } from '../../core/ports';
import {
  SecretsManagerSigningKeys,
  type SecretsManagerSigningKeysOptions,
} from './secrets-manager-signing-keys';

/** The GitHub token from its Secrets Manager secret, cached like the other secrets (SecretsManagerSigningKeys). */
export class SecretsManagerGitHubToken implements GitHubTokenProvider {
  private readonly secret: SecretsManagerSigningKeys;

  constructor(
    secretsManager: SecretsManagerClient,
    secretArn: string,
    options: Pick<SecretsManagerSigningKeysOptions, 'ttlMs' | 'now'> = {},
  ) {
    this.secret = new SecretsManagerSigningKeys(secretsManager, secretArn, {
      ...options,
      label: 'GitHub token secret',
      valueHint: 'a fine-grained GitHub token with read-only Contents access to the service repositories',
    });
  }

  async githubToken(): Promise<string> {
    return new TextDecoder().decode(await this.secret.signingKey()).trim();
  }
}
