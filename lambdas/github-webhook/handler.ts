import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { EventBridgePushPublisher } from '../adapters/aws/eventbridge-push-publisher';
import { SecretsManagerSigningKeys } from '../adapters/aws/secrets-manager-signing-keys';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { handleGitHubWebhook, type WebhookPorts } from './github-webhook';

/** The GitHub webhook behind a Lambda function URL (payload format 2.0). */
export const makeHandler =
  (ports: WebhookPorts) =>
  async (event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> => {
    logger.addContext(context);
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    return handleGitHubWebhook({ headers: event.headers ?? {}, body }, ports, {
      log: (message, detail) => logger.info(message, detail),
    });
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  webhookSecret: new SecretsManagerSigningKeys(
    new SecretsManagerClient({}),
    requireEnv(ENV.webhookSecretArn),
  ),
  pushes: new EventBridgePushPublisher(new EventBridgeClient({}), requireEnv(ENV.eventBusName)),
}));
