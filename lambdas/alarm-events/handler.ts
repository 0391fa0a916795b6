import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import {
  type AlarmEventOutcome,
  type AlarmEventsPorts,
  type AlarmStateChange,
  onAlarmStateChange,
} from './alarm-events';

/** The handler on `ports`: Lambda's entry below passes the AWS adapters, the local runtime its own. */
export const makeHandler =
  (ports: AlarmEventsPorts) =>
  async (event: AlarmStateChange, context: Context): Promise<AlarmEventOutcome> => {
    logger.addContext(context);
    const outcome = await onAlarmStateChange(event, ports);
    logger.info('alarm event', {
      alarm: event.detail?.alarmName,
      state: event.detail?.state?.value,
      ...outcome,
    });
    return outcome;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  // Only describeDeployment and stopDeployment are used: no artifact bucket.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
}));
