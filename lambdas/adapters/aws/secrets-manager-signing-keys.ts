import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SigningKeyProvider } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

/** Long enough to spare Secrets Manager calls, short enough that a rotated key is picked up soon. */
const DEFAULT_TTL_MS = 5 * 60_000;

export interface SecretsManagerSigningKeysOptions {
  /** @default 300000 (5 minutes) */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** What the secret is, for error messages. @default 'Signing secret' */
  readonly label?: string;
  /** What to put in the secret when it is empty. @default 'a random string of at least 32 bytes' */
  readonly valueHint?: string;
}

/**
 * A secret's value, cached: the approval-link HMAC key, the GitHub webhook secret, and under
 * SecretsManagerGitHubToken and the Slack channel, their secrets. The value never appears in an error message
 * or a log line.
 */
export class SecretsManagerSigningKeys implements SigningKeyProvider {
  private cached?: { readonly key: Uint8Array; readonly expiresAt: number };
  private inFlight?: Promise<Uint8Array>;

  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly secretArn: string,
    private readonly options: SecretsManagerSigningKeysOptions = {},
  ) {}

  async signingKey(): Promise<Uint8Array> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.expiresAt) return this.cached.key;
    // Concurrent callers share one request.
    this.inFlight ??= this.fetch(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(now: number): Promise<Uint8Array> {
    let key: Uint8Array;
    try {
      const out = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
      key = out.SecretString
        ? new TextEncoder().encode(out.SecretString)
        : (out.SecretBinary ?? new Uint8Array());
    } catch (error) {
      throw mapAwsError(error, `Secrets Manager GetSecretValue ${this.secretArn}`, (name) =>
        name === 'ResourceNotFoundException'
          ? new MissingResourceError(
              `${this.options.label ?? 'Signing secret'} ${this.secretArn} does not exist; redeploy the Sluice pipeline stack (cdk deploy), ` +
                'which creates it.',
            )
          : undefined,
      );
    }
    if (key.byteLength === 0) {
      throw new MissingResourceError(
        `${this.options.label ?? 'Signing secret'} ${this.secretArn} has no value; put ` +
          `${this.options.valueHint ?? 'a random string of at least 32 bytes'} in it.`,
      );
    }
    this.cached = { key, expiresAt: now + (this.options.ttlMs ?? DEFAULT_TTL_MS) };
    return key;
  }
}
