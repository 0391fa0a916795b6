import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { SecretsManagerSigningKeys } from '../shared/aws/secrets-manager-signing-keys';
import { SnsNotifier } from '../shared/aws/sns-notifier';
import { ENV } from '../shared/env';
import { Ledger } from '../shared/ledger';
import { logger } from '../shared/observability';
import { systemClock } from '../shared/ports';
import { portsFor, requireEnv } from '../shared/wiring';
import { type RequestApprovalInput, requestApproval } from './request-approval';

const ports = portsFor(() => ({
  ledger: new Ledger(DynamoDBDocumentClient.from(new DynamoDBClient({})), requireEnv(ENV.tableName)),
  notifier: new SnsNotifier(new SNSClient({}), requireEnv(ENV.approvalTopicArn)),
  signingKeys: new SecretsManagerSigningKeys(new SecretsManagerClient({}), requireEnv(ENV.signingSecretArn)),
  clock: systemClock,
  approvalBaseUrl: requireEnv(ENV.approvalBaseUrl),
}));

export const handler = async (
  event: RequestApprovalInput,
  context: Context,
): Promise<{ approvalId: string }> => {
  logger.addContext(context);
  const result = await requestApproval(event, ports());
  // The task token stays in the ledger: never log it.
  logger.info('approval requested', { releaseId: event.releaseId, approvalId: result.approvalId });
  return result;
};
