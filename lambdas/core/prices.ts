/**
 * The one price table the cost estimates use (lambdas/core/cost.ts): US East (N. Virginia), on-demand, list
 * prices without free tiers or savings plans. Each price names the page it comes from and the day it was
 * checked. `confirmed: false` means the official page renders that figure client-side, so it could not be read
 * there; the figure is then taken from the sources in `note` and should be checked by hand before relying on it.
 */

export interface Price {
  /** US dollars per one `unit`. */
  readonly usd: number;
  readonly unit: string;
  /** The price as the source states it. */
  readonly published: string;
  readonly source: string;
  /** ISO date the source was read. */
  readonly checked: string;
  /** True when the figure was read on the official AWS page (or AWS's own documentation) itself. */
  readonly confirmed: boolean;
  readonly note?: string;
}

const CHECKED = '2026-12-04';

export const PRICE_REGION = 'us-east-1';

export const PRICES = {
  stepFunctionsStateTransition: {
    usd: 0.025 / 1000,
    unit: 'state transition (Standard workflow)',
    published: '$0.025 per 1,000 state transitions (US East (N. Virginia)); retries count as transitions',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    checked: CHECKED,
    confirmed: true,
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    unit: 'Lambda request',
    published: '$0.20 per 1 million requests',
    source: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html',
    checked: CHECKED,
    confirmed: true,
  },
  lambdaGbSecond: {
    usd: 0.00001667,
    unit: 'GB-second (x86, first tier)',
    published: '$0.00001667 for every GB-second',
    source: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html',
    checked: CHECKED,
    confirmed: true,
    note:
      'Also the figure in the worked examples of https://aws.amazon.com/lambda/pricing/ (whose price table renders ' +
      'client-side); third-party pages quote it unrounded as $0.0000166667. Duration is rounded up to 1 ms and ' +
      'includes the init (cold start) code.',
  },
  eventBridgeCustomEvent: {
    usd: 1 / 1_000_000,
    unit: 'custom event published (64 KB chunk)',
    published: '$1.00 per million custom events',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    checked: CHECKED,
    confirmed: false,
    note:
      'The official page states that AWS management events (CodeCommit, CodeDeploy, CloudWatch alarm state ' +
      'changes) are ingested for free, but renders the custom-event price client-side; $1.00/million is from ' +
      'https://cloudburn.io/blog/amazon-eventbridge-pricing and https://www.wring.co/blog/aws-eventbridge-pricing-guide.',
  },
  schedulerInvocation: {
    usd: 1 / 1_000_000,
    unit: 'EventBridge Scheduler invocation',
    published: '$1.00 per million scheduled invocations after 14 million free per month',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    checked: CHECKED,
    confirmed: false,
    note:
      'Not readable on the official page; from https://cloudburn.io/blog/amazon-eventbridge-pricing. AWS price-list ' +
      'data shows the 14 million free invocations per month (not applied here).',
  },
  dynamoDbWriteRequestUnit: {
    usd: 0.625 / 1_000_000,
    unit: 'DynamoDB on-demand write request unit',
    published: '$0.625 per million write request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: CHECKED,
    confirmed: false,
    note:
      'Not readable on the official page; from https://airbyte.com/data-engineering-resources/dynamodb-pricing ' +
      "(after AWS's 50% on-demand price cut of November 2024).",
  },
  dynamoDbReadRequestUnit: {
    usd: 0.125 / 1_000_000,
    unit: 'DynamoDB on-demand read request unit',
    published: '$0.125 per million read request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: CHECKED,
    confirmed: false,
    note: 'Not readable on the official page; from https://airbyte.com/data-engineering-resources/dynamodb-pricing.',
  },
  cloudWatchApiRequest: {
    usd: 0.01 / 1000,
    unit: 'CloudWatch API request (DescribeAlarms)',
    published: '$0.01 per 1,000 requests',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    confirmed: false,
    note:
      'The official page lists 1 million free API requests a month but renders the paid price client-side; ' +
      '$0.01 per 1,000 is from https://support.site24x7.com/portal/en/kb/articles/aws-cloudwatch-metrics-cost-calculation.',
  },
  cloudWatchAlarmMetricMonth: {
    usd: 0.1,
    unit: 'standard-resolution alarm metric per month',
    published: '$0.10 per alarm metric per month (standard resolution)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    confirmed: false,
    note:
      'Not readable on the official page; from https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm. A metric-math ' +
      'alarm is billed per metric it reads.',
  },
  cloudWatchCustomMetricMonth: {
    usd: 0.3,
    unit: 'custom metric per month (first 10,000)',
    published: '$0.30 per metric per month for the first 10,000 metrics',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    confirmed: false,
    note: 'Not readable on the official page; from https://c3x.dev/blog/aws-cloudwatch-metrics-cost/.',
  },
  codePipelineV2ActionMinute: {
    usd: 0.002,
    unit: 'CodePipeline V2 action execution minute',
    published:
      '$0.002 per action execution minute, rounded up to the nearest minute per action; manual approval and ' +
      'custom actions are not charged',
    source: 'https://aws.amazon.com/codepipeline/pricing/',
    checked: CHECKED,
    confirmed: true,
  },
} as const satisfies Record<string, Price>;

export type PriceTable = { readonly [K in keyof typeof PRICES]: Price };
