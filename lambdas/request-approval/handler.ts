import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { SchedulerExpiry } from '../adapters/aws/scheduler-expiry';
import { SecretsManagerSigningKeys } from '../adapters/aws/secrets-manager-signing-keys';
import { slackChannelFromSecret } from '../adapters/aws/secrets-manager-slack';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { SnsNotifier } from '../adapters/aws/sns-notifier';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type RequestApprovalInput, type RequestApprovalPorts, requestApproval } from './request-approval';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: RequestApprovalPorts) =>
  async (event: RequestApprovalInput, context: Context): Promise<{ approvalId: string }> => {
    logger.addContext(context);
    const result = await requestApproval(event, ports);
    // The task token stays in the ledger: never log it.
    logger.info('approval requested', { releaseId: event.releaseId, approvalId: result.approvalId });
    return result;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => {
  const secretsManager = new SecretsManagerClient({});
  return {
    ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
    notifier: new SnsNotifier(new SNSClient({}), requireEnv(ENV.approvalTopicArn)),
    signingKeys: new SecretsManagerSigningKeys(secretsManager, requireEnv(ENV.signingSecretArn)),
    tasks: new SfnTaskCallbacks(new SFNClient({})),
    expiryScheduler: new SchedulerExpiry(new SchedulerClient({}), {
      functionArn: requireEnv(ENV.expiryFunctionArn),
      roleArn: requireEnv(ENV.schedulerRoleArn),
      groupName: requireEnv(ENV.scheduleGroup),
      deadLetterArn: requireEnv(ENV.scheduleDeadLetterArn),
    }),
    slack: slackChannelFromSecret(secretsManager, requireEnv(ENV.slackSecretArn)),
    clock: systemClock,
    approvalExpiryScale: 1,
    approvalBaseUrl: requireEnv(ENV.approvalBaseUrl),
  };
});
