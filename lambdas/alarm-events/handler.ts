import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { LambdaCodeDeployTarget } from '../adapters/aws/lambda-codedeploy-target';
import { Ledger } from '../ledger/ledger';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { portsFor, requireEnv } from '../runtime/wiring';
import { type AlarmEventOutcome, type AlarmStateChange, onAlarmStateChange } from './alarm-events';

const ports = portsFor(() => ({
  // Only describeDeployment and stopDeployment are used: no artifact bucket.
  deployTarget: new LambdaCodeDeployTarget(new LambdaClient({}), new CodeDeployClient({}), ''),
  ledger: Ledger.forTable(new DynamoDBClient({}), requireEnv(ENV.tableName)),
}));

export const handler = async (event: AlarmStateChange, context: Context): Promise<AlarmEventOutcome> => {
  logger.addContext(context);
  const outcome = await onAlarmStateChange(event, ports());
  logger.info('alarm event', {
    alarm: event.detail?.alarmName,
    state: event.detail?.state?.value,
    ...outcome,
  });
  return outcome;
};
