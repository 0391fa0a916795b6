import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { SecretsManagerSigningKeys } from '../adapters/aws/secrets-manager-signing-keys';
import { slackChannelFromSecret } from '../adapters/aws/secrets-manager-slack';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { handleApprovalHttp } from './approval-api';
import type { ApprovalApiPorts } from './http';

/** The approval page behind a Lambda function URL (payload format 2.0). */
export const makeHandler =
  (ports: ApprovalApiPorts) =>
  async (event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> => {
    logger.addContext(context);
    const body = event.body
      ? event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body
      : '';
    const response = await handleApprovalHttp(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        query: new URLSearchParams(event.rawQueryString ?? ''),
        body,
        headers: Object.fromEntries(
          Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
        ),
        sourceIp: event.requestContext.http.sourceIp,
        userAgent: event.requestContext.http.userAgent,
      },
      ports,
    );
    // Path only: the query string carries the link's signature.
    logger.info('approval page', {
      method: event.requestContext.http.method,
      path: event.rawPath,
      status: response.statusCode,
    });
    return response;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => {
  const secretsManager = new SecretsManagerClient({});
  return {
    ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
    tasks: new SfnTaskCallbacks(new SFNClient({})),
    signingKeys: new SecretsManagerSigningKeys(secretsManager, requireEnv(ENV.signingSecretArn)),
    slack: slackChannelFromSecret(secretsManager, requireEnv(ENV.slackSecretArn)),
    clock: systemClock,
  };
});
