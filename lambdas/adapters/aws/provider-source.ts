import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SourceConfig, SourceProvider } from '../../core/catalog/types';
import type { CommitInfo } from '../../core/model';
import type { SourceRepository } from '../../core/ports';
import { ENV } from '../../runtime/env';
import { requireEnv } from '../../runtime/wiring';
import { CodeCommitSource } from './codecommit-source';
import { GitHubSource } from './github-source';
import { SecretsManagerGitHubToken } from './secrets-manager-github-token';

/**
 * Sends each call to the repository of the service's `source.provider`. Each provider's adapter is built on first
 * use, so a Lambda container that only ever sees CodeCommit services never reads the GitHub token.
 */
export class ProviderSource implements SourceRepository {
  private readonly built = new Map<SourceProvider, SourceRepository>();

  constructor(private readonly factories: Readonly<Record<SourceProvider, () => SourceRepository>>) {}

  private for(source: SourceConfig): SourceRepository {
    const provider = source.provider ?? 'codecommit';
    let repository = this.built.get(provider);
    if (!repository) {
      const factory = this.factories[provider];
      if (!factory) {
        throw new Error(
          `source.provider ${JSON.stringify(provider)} is not supported; use "codecommit" or "github".`,
        );
      }
      repository = factory();
      this.built.set(provider, repository);
    }
    return repository;
  }

  async resolveCommit(source: SourceConfig, ref?: string): Promise<CommitInfo> {
    return await this.for(source).resolveCommit(source, ref);
  }

  async checkout(source: SourceConfig, sha: string, intoDir: string): Promise<void> {
    return await this.for(source).checkout(source, sha, intoDir);
  }

  async listCommits(
    source: SourceConfig,
    untilSha: string,
    sinceSha?: string,
    limit?: number,
  ): Promise<CommitInfo[]> {
    return await this.for(source).listCommits(source, untilSha, sinceSha, limit);
  }

  async changedPaths(
    source: SourceConfig,
    fromSha: string | undefined,
    toSha: string,
  ): Promise<string[] | undefined> {
    return await this.for(source).changedPaths(source, fromSha, toSha);
  }
}

/** The handlers' source port in AWS: CodeCommit's API, or GitHub's with the token from its secret. */
export function awsSourceRepository(): ProviderSource {
  return new ProviderSource({
    codecommit: () => new CodeCommitSource(new CodeCommitClient({})),
    github: () => {
      const secretArn = requireEnv(ENV.githubTokenSecretArn);
      return new GitHubSource(new SecretsManagerGitHubToken(new SecretsManagerClient({}), secretArn), {
        tokenSource: `secret ${secretArn}`,
      });
    },
  });
}
