/** Slack's incoming webhooks and response_urls, through fetch: the same code against hooks.slack.com and 127.0.0.1. */
import type { SlackChannel, SlackMessage } from '../core/ports';

export interface WebhookSlackChannelOptions {
  /** The incoming webhook URL, or undefined when Slack is not configured. */
  readonly webhookUrl: () => Promise<string | undefined>;
  readonly signingSecret: () => Promise<Uint8Array>;
  /** response_url and webhook URLs must start with one of these (https://hooks.slack.com/ in AWS). */
  readonly allowedUrlPrefixes: readonly string[];
}

/** Posts with fetch: to hooks.slack.com in AWS, to a receiver on 127.0.0.1 locally. */
export class WebhookSlackChannel implements SlackChannel {
  constructor(private readonly options: WebhookSlackChannelOptions) {}

  private check(url: string): void {
    if (!this.options.allowedUrlPrefixes.some((prefix) => url.startsWith(prefix))) {
      throw new Error(
        `Refusing to send a Slack message to ${new URL(url).origin}: allowed are ${this.options.allowedUrlPrefixes.join(', ')}`,
      );
    }
  }

  private async send(url: string, message: SlackMessage): Promise<void> {
    this.check(url);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok)
      throw new Error(`Slack answered ${response.status} ${await response.text()}`.slice(0, 300));
  }

  async post(message: SlackMessage): Promise<boolean> {
    const url = await this.options.webhookUrl();
    if (!url) return false;
    await this.send(url, message);
    return true;
  }

  async respond(responseUrl: string, message: SlackMessage): Promise<void> {
    await this.send(responseUrl, message);
  }

  signingSecret(): Promise<Uint8Array> {
    return this.options.signingSecret();
  }
}
