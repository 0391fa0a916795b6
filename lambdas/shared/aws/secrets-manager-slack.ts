import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MissingResourceError, mapAwsError } from './errors';

/** The Slack secret's JSON: `{ "signingSecret": "...", "webhookUrl": "https://hooks.slack.com/..." }`. */
export interface SlackSecretValue {
  readonly signingSecret: string;
  readonly webhookUrl?: string;
}

const TTL_MS = 5 * 60_000;

/** Reads the Slack app's signing secret and incoming webhook URL; never logs or returns them in errors. */
export class SecretsManagerSlackSecret {
  private cached?: { value: SlackSecretValue; until: number };

  constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly secretArn: string,
    private readonly now: () => number = Date.now,
  ) {}

  async value(): Promise<SlackSecretValue> {
    if (this.cached && this.now() < this.cached.until) return this.cached.value;
    let text: string | undefined;
    try {
      text = (await this.secretsManager.send(new GetSecretValueCommand({ SecretId: this.secretArn })))
        .SecretString;
    } catch (error) {
      throw mapAwsError(error, `Secrets Manager GetSecretValue ${this.secretArn}`, (name) =>
        name === 'ResourceNotFoundException'
          ? new MissingResourceError(
              `Slack secret ${this.secretArn} does not exist; redeploy the Sluice stack.`,
            )
          : undefined,
      );
    }
    let parsed: Partial<SlackSecretValue> = {};
    try {
      parsed = JSON.parse(text ?? '') as Partial<SlackSecretValue>;
    } catch {
      // reported below without echoing the value
    }
    if (typeof parsed.signingSecret !== 'string' || parsed.signingSecret.length === 0) {
      throw new MissingResourceError(
        `Slack secret ${this.secretArn} must hold JSON {"signingSecret": "<your Slack app's signing secret>", "webhookUrl": "https://hooks.slack.com/services/..."}`,
      );
    }
    const value: SlackSecretValue = {
      signingSecret: parsed.signingSecret,
      ...(typeof parsed.webhookUrl === 'string' && parsed.webhookUrl
        ? { webhookUrl: parsed.webhookUrl }
        : {}),
    };
    this.cached = { value, until: this.now() + TTL_MS };
    return value;
  }
}
