import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { SfnTaskCallbacks } from '../adapters/aws/sfn-task-callbacks';
import type { DecisionPorts } from '../core/approval-decision';
import { systemClock } from '../core/ports';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type ApprovalExpiryEvent, type ExpiryResult, expireApproval } from './approval-expiry';

/** Invoked by the one-time EventBridge Scheduler schedule RequestApproval creates (a timer locally). */
export const makeHandler =
  (ports: DecisionPorts) =>
  async (event: ApprovalExpiryEvent, context: Context): Promise<{ result: ExpiryResult }> => {
    logger.addContext(context);
    const result = await expireApproval(event, ports);
    logger.info('approval expiry', { approvalId: event?.approvalId, result });
    return { result };
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
  tasks: new SfnTaskCallbacks(new SFNClient({})),
  clock: systemClock,
}));
