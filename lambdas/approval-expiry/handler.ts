import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { portsFor, requireEnv } from '../runtime/wiring';
import { type ApprovalExpiryEvent, type ExpiryResult, expireApproval } from './approval-expiry';

const ports = portsFor(() => ({
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));

/** Invoked by the one-time EventBridge Scheduler schedule RequestApproval creates (a timer locally). */
export const handler = async (
  event: ApprovalExpiryEvent,
  context: Context,
): Promise<{ result: ExpiryResult }> => {
  logger.addContext(context);
  const result = await expireApproval(event, ports());
  logger.info('approval expiry', { approvalId: event?.approvalId, result });
  return { result };
};
