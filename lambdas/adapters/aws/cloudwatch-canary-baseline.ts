import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { CanaryBaselines } from '../../core/ports';
import {
  ALARM_PERIOD_SECONDS,
  type BakeWindow,
  baselineQueries,
  type CanaryBaseline,
  versionFigures,
} from '../../core/service-alarms';
import { mapAwsError } from './errors';
import { sdkQuery } from './metric-queries';

/**
 * The baseline of a canary (issue 10 item 3), read with GetMetricData from the metrics the canary alarms read
 * (lambdas/core/service-alarms.ts), one period spanning the whole bake: invocations, error rate and p99 of the
 * new version and of the version it replaced. CloudWatch has the metrics a minute or so after the invocations.
 */
export class CloudWatchCanaryBaseline implements CanaryBaselines {
  constructor(private readonly cloudWatch: CloudWatchClient) {}

  async read(window: BakeWindow): Promise<CanaryBaseline> {
    const minute = ALARM_PERIOD_SECONDS * 1000;
    const start = new Date(Math.floor(window.start.getTime() / minute) * minute);
    const end = new Date(
      Math.max(Math.ceil(window.end.getTime() / minute) * minute, start.getTime() + minute),
    );
    const period = Math.round((end.getTime() - start.getTime()) / 1000);
    const queries = [
      ...baselineQueries(window.service, window.toVersion, 'canary', period),
      ...(window.fromVersion ? baselineQueries(window.service, window.fromVersion, 'previous', period) : []),
    ];
    const results: MetricDataResult[] = [];
    let NextToken: string | undefined;
    do {
      try {
        const out = await this.cloudWatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.map(sdkQuery),
            StartTime: start,
            EndTime: end,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        results.push(...(out.MetricDataResults ?? []));
        NextToken = out.NextToken;
      } catch (error) {
        throw mapAwsError(error, `CloudWatch GetMetricData ${window.service} ${window.toVersion}`);
      }
    } while (NextToken);
    const value = (id: string) => results.filter((r) => r.Id === id).flatMap((r) => r.Values ?? [])[0];
    return {
      start: start.toISOString(),
      end: end.toISOString(),
      canary: versionFigures(value, 'canary', window.toVersion),
      ...(window.fromVersion ? { previous: versionFigures(value, 'previous', window.fromVersion) } : {}),
    };
  }
}
