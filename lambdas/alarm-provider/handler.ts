import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { CloudWatchAlarmWriter } from '../adapters/aws/cloudwatch-alarm-writer';
import { sendCustomResourceResponse } from '../adapters/cfn-response';
import { logger } from '../runtime/observability';
import { onAwsPorts } from '../runtime/wiring';
import { type AlarmRequest, type AlarmWriter, answerAlarmRequest } from './alarm-provider';

export interface AlarmProviderPorts {
  readonly alarms: AlarmWriter;
  /** PUTs the answer to the request's ResponseURL. */
  readonly respond: (responseUrl: string, body: object) => Promise<void>;
}

/** CloudFormation's request, as Lambda receives it (asynchronously, with the URL to answer). */
export type AlarmProviderEvent = AlarmRequest & { readonly ResponseURL: string };

/** The handler on `ports`: Lambda's entry below passes the AWS adapters. */
export const makeHandler =
  (ports: AlarmProviderPorts) =>
  async (event: AlarmProviderEvent, context: Context): Promise<void> => {
    logger.addContext(context);
    const answer = await answerAlarmRequest(event, ports.alarms);
    logger.info('alarm request', {
      requestType: event.RequestType,
      stack: event.StackId,
      logicalId: event.LogicalResourceId,
      status: answer.Status,
      physicalId: answer.PhysicalResourceId,
      ...(answer.Reason ? { reason: answer.Reason } : {}),
    });
    // Not delivered: throw, so Lambda's asynchronous retries ask again (every request is idempotent).
    await ports.respond(event.ResponseURL, answer);
  };

/** Lambda's entry: the handler on the AWS ports, built on the first invocation and kept for the container's life. */
export const handler = onAwsPorts(makeHandler, () => ({
  alarms: new CloudWatchAlarmWriter(new CloudWatchClient({})),
  respond: sendCustomResourceResponse,
}));
