import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { awsSourceRepository } from '../adapters/aws/provider-source';
import { S3CatalogStore } from '../adapters/aws/s3-catalog-store';
import { SfnExecutionStarter } from '../adapters/aws/sfn-execution-starter';
import type { RouterEvent } from '../core/push-routing';
import { ENV } from '../runtime/env';
import { logger } from '../runtime/observability';
import { onAwsPorts, requireEnv } from '../runtime/wiring';
import { type RouteOutcome, type RouterPorts, routeEvent } from './router';

/** EventBridge target: CodeCommit state changes and Sluice push events. Throws (so EventBridge retries) only when a start failed. */
export const makeHandler =
  (ports: RouterPorts) =>
  async (event: RouterEvent, context: Context): Promise<RouteOutcome> => {
    logger.addContext(context);
    const outcome = await routeEvent(event, ports);
    if (outcome.ignored) logger.info('push ignored', { reason: outcome.ignored, source: event.source });
    for (const release of outcome.releases) logger.info('release routed', { ...release });
    return outcome;
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  catalog: new S3CatalogStore(new S3Client({}), requireEnv(ENV.catalogBucket), requireEnv(ENV.catalogKey)),
  source: awsSourceRepository(),
  executions: new SfnExecutionStarter(new SFNClient({}), requireEnv(ENV.stateMachineArn)),
}));
