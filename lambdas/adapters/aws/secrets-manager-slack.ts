import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SLACK_URL_PREFIX } from '../../core/slack';
import { WebhookSlackChannel } from '../slack-webhook-channel';
import { MissingResourceError } from './errors';
import { SecretsManagerSigningKeys } from './secrets-manager-signing-keys';

/** The Slack secret's JSON: `{ "signingSecret": "...", "webhookUrl": "https://hooks.slack.com/..." }`. */
export interface SlackSecretValue {
  readonly signingSecret: string;
  readonly webhookUrl?: string;
}

const SHAPE =
  'JSON {"signingSecret": "<your Slack app\'s signing secret>", "webhookUrl": "https://hooks.slack.com/services/..."}';

/**
 * Reads the Slack app's signing secret and incoming webhook URL through the cached secret reader the other
 * secrets use; never logs or returns them in errors.
 */
export class SecretsManagerSlackSecret {
  private readonly secret: SecretsManagerSigningKeys;

  constructor(
    secretsManager: SecretsManagerClient,
    private readonly secretArn: string,
    now: () => number = Date.now,
  ) {
    this.secret = new SecretsManagerSigningKeys(secretsManager, secretArn, {
      now,
      label: 'Slack secret',
      valueHint: SHAPE,
    });
  }

  async value(): Promise<SlackSecretValue> {
    const text = new TextDecoder().decode(await this.secret.signingKey());
    let parsed: Partial<SlackSecretValue> = {};
    try {
      parsed = JSON.parse(text) as Partial<SlackSecretValue>;
    } catch {
      // not JSON: reported below without echoing the value
    }
    if (typeof parsed.signingSecret !== 'string' || parsed.signingSecret.length === 0) {
      throw new MissingResourceError(`Slack secret ${this.secretArn} must hold ${SHAPE}`);
    }
    return {
      signingSecret: parsed.signingSecret,
      ...(typeof parsed.webhookUrl === 'string' && parsed.webhookUrl
        ? { webhookUrl: parsed.webhookUrl }
        : {}),
    };
  }
}

/** Slack in AWS: the incoming webhook and signing secret from the Slack secret; posts only to hooks.slack.com. */
export function slackChannelFromSecret(
  secretsManager: SecretsManagerClient,
  secretArn: string,
): WebhookSlackChannel {
  const slackSecret = new SecretsManagerSlackSecret(secretsManager, secretArn);
  return new WebhookSlackChannel({
    webhookUrl: async () => (await slackSecret.value()).webhookUrl,
    signingSecret: async () => new TextEncoder().encode((await slackSecret.value()).signingSecret),
    allowedUrlPrefixes: [SLACK_URL_PREFIX],
  });
}
