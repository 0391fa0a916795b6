import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { EmfReleaseMetrics } from '../shared/aws/emf-release-metrics';
import { ENV } from '../shared/env';
import { Ledger } from '../shared/ledger';
import { logger } from '../shared/observability';
import { systemClock } from '../shared/ports';
import { portsFor, requireEnv } from '../shared/wiring';
import { type RecordInput, type RecordResult, recordRelease } from './record';

const ports = portsFor(() => ({
  ledger: new Ledger(
    DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    requireEnv(ENV.tableName),
  ),
  releaseMetrics: new EmfReleaseMetrics(),
  clock: systemClock,
}));

export const handler = async (event: RecordInput, context: Context): Promise<RecordResult> => {
  logger.addContext(context);
  const outcome = await recordRelease(event, ports());
  logger.info('release recorded', { releaseId: event.releaseId, ...outcome });
  return outcome;
};
