/**
 * The canary alarms of a service, defined once, in the shape of CloudWatch's PutMetricAlarm input. The service
 * construct (lib/sluice-service.ts) creates them from here when its stack is created, the Deploy handler writes
 * them from here before each deployment so they judge the version being deployed, and the local runtime
 * evaluates the same definitions. Pure data; no SDK.
 *
 * Why per version: an alarm cannot use SEARCH, so one that judges one version must name it in a dimension. On
 * the `live` alias Lambda reports Invocations, Errors and Duration also by ExecutedVersion (with FunctionName
 * and Resource = `<function>:live`), and the wrapper Build puts around the handler (service-wrapper.ts) reports
 * the 5xx answers and partial batch failures Lambda does not count, by Service and Version.
 */
import {
  type BusinessAlarmConfig,
  LIVE_ALIAS,
  type ServiceConfig,
  serviceAlarmName,
  serviceResourceName,
} from './catalog/types';

/**
 * The version the alarms judge until the first release. No invocation ever runs as it, so they see no data
 * (OK, never ALARM) and cannot block the first release; the first Deploy points them at a real version.
 */
export const UNRELEASED_VERSION = 'unreleased';

/** The period of every alarm and metric, in seconds: a canary lasts minutes, its alarms must speak within one. */
export const ALARM_PERIOD_SECONDS = 60;

/** What the handler wrapper emits per invocation, as Embedded Metric Format. */
export const SERVICE_METRICS = {
  namespace: 'Sluice/Service',
  /** Dimension names: the service, and the Lambda version that answered (AWS_LAMBDA_FUNCTION_VERSION). */
  service: 'Service',
  version: 'Version',
  /** 1 per invocation the wrapper saw. */
  requests: 'Requests',
  /** 1 when the handler answered with a 5xx status; a thrown error is in Lambda's own Errors instead. */
  serverErrors: 'ServerErrors',
  /**
   * 1 when the handler returned a partial batch response listing failed items (`batchItemFailures`): the
   * invocation succeeded for Lambda (no Errors), but part of its batch goes back to the queue or stream.
   */
  failedBatches: 'FailedBatches',
  /** How many items that response listed (informational: the error rate counts invocations). */
  batchItemFailures: 'BatchItemFailures',
  /** The handler's own time, in milliseconds (informational: the p99 alarm reads Lambda's Duration). */
  latency: 'Latency',
} as const;

export interface MetricDimension {
  readonly Name: string;
  readonly Value: string;
}

export interface MetricIdentity {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly MetricDimension[];
}

/** One entry of PutMetricAlarm's `Metrics`, and of GetMetricData's `MetricDataQueries`. */
export interface MetricQuery {
  readonly Id: string;
  readonly Label?: string;
  readonly ReturnData: boolean;
  readonly MetricStat?: { readonly Metric: MetricIdentity; readonly Period: number; readonly Stat: string };
  readonly Expression?: string;
}

/**
 * PutMetricAlarm's input, as much of it as Sluice uses: either `Metrics` (metric math) or the single-metric
 * fields (`Namespace` … `ExtendedStatistic`).
 */
export interface ServiceAlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmDescription: string;
  readonly ComparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly Threshold: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly TreatMissingData: 'notBreaching';
  readonly Metrics?: readonly MetricQuery[];
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: readonly MetricDimension[];
  readonly Period?: number;
  readonly ExtendedStatistic?: string;
}

/** AWS/Lambda's dimensions for the invocations of one version through the live alias. */
export function lambdaVersionDimensions(service: string, version: string): MetricDimension[] {
  const functionName = serviceResourceName(service);
  return [
    { Name: 'FunctionName', Value: functionName },
    { Name: 'Resource', Value: `${functionName}:${LIVE_ALIAS}` },
    { Name: 'ExecutedVersion', Value: version },
  ];
}

/** The wrapper's dimensions for one version. */
export function wrapperVersionDimensions(service: string, version: string): MetricDimension[] {
  return [
    { Name: SERVICE_METRICS.service, Value: service },
    { Name: SERVICE_METRICS.version, Value: version },
  ];
}

function stat(id: string, metric: MetricIdentity, statName: string, period: number): MetricQuery {
  return { Id: id, ReturnData: false, MetricStat: { Metric: metric, Period: period, Stat: statName } };
}

function lambdaMetric(service: string, version: string, metricName: string): MetricIdentity {
  return {
    Namespace: 'AWS/Lambda',
    MetricName: metricName,
    Dimensions: lambdaVersionDimensions(service, version),
  };
}

/**
 * The error rate of one version, in percent: invocations that threw or timed out (Lambda's Errors) plus those
 * the handler answered with 5xx (the wrapper's ServerErrors) or with failed batch items (FailedBatches), over
 * its invocations. Metric math treats a missing value as 0 and drops a division by zero, so a minute without
 * invocations has no data point.
 */
export function errorRateQueries(
  service: string,
  version: string,
  options: { readonly prefix?: string; readonly period?: number } = {},
): MetricQuery[] {
  const p = options.prefix ?? '';
  const period = options.period ?? ALARM_PERIOD_SECONDS;
  const id = (name: string) => (p ? `${p}${name[0]?.toUpperCase()}${name.slice(1)}` : name);
  const wrapperStat = (name: string, metricName: string) =>
    stat(
      id(name),
      {
        Namespace: SERVICE_METRICS.namespace,
        MetricName: metricName,
        Dimensions: wrapperVersionDimensions(service, version),
      },
      'Sum',
      period,
    );
  return [
    stat(id('invocations'), lambdaMetric(service, version, 'Invocations'), 'Sum', period),
    stat(id('errors'), lambdaMetric(service, version, 'Errors'), 'Sum', period),
    wrapperStat('serverErrors', SERVICE_METRICS.serverErrors),
    wrapperStat('failedBatches', SERVICE_METRICS.failedBatches),
    {
      Id: id('errorRate'),
      Label: `Failed requests of version ${version} (%)`,
      ReturnData: true,
      Expression: `100 * (${id('errors')} + ${id('serverErrors')} + ${id('failedBatches')}) / ${id('invocations')}`,
    },
  ];
}

function errorRateAlarm(service: ServiceConfig, version: string): ServiceAlarmDefinition {
  const { errorRatePercent } = service.deploy.alarms;
  return {
    AlarmName: serviceAlarmName(service.name, 'error-rate'),
    AlarmDescription:
      `${service.name}: more than ${errorRatePercent}% of the requests to version ${version} failed (threw, timed ` +
      'out, answered 5xx or reported failed batch items) in a minute',
    Metrics: errorRateQueries(service.name, version),
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: errorRatePercent,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    TreatMissingData: 'notBreaching',
  };
}

function latencyAlarm(service: ServiceConfig, version: string): ServiceAlarmDefinition {
  const { p99LatencyMs } = service.deploy.alarms;
  const metric = lambdaMetric(service.name, version, 'Duration');
  return {
    AlarmName: serviceAlarmName(service.name, 'p99-latency'),
    AlarmDescription: `${service.name}: p99 duration of version ${version} above ${p99LatencyMs} ms in a minute`,
    Namespace: metric.Namespace,
    MetricName: metric.MetricName,
    Dimensions: metric.Dimensions,
    Period: ALARM_PERIOD_SECONDS,
    ExtendedStatistic: 'p99',
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: p99LatencyMs,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    TreatMissingData: 'notBreaching',
  };
}

/** The business metric, with the version in the dimension the catalog names (when the service sets one). */
export function businessMetric(business: BusinessAlarmConfig, version: string): MetricIdentity {
  const dimensions = { ...business.dimensions };
  if (business.versionDimension) dimensions[business.versionDimension] = version;
  return {
    Namespace: business.namespace,
    MetricName: business.metricName,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  };
}

/**
 * Judged only in minutes in which the version had invocations: `IF(invocations, business)` has no data point
 * where `invocations` has none (quiet hours, a first release, a version that no longer serves), which
 * TreatMissingData notBreaching leaves OK; and it is 0 where the version ran but emitted no business metric, so
 * a `below` alarm fires on a canary that stopped emitting it.
 */
function businessAlarm(
  service: ServiceConfig,
  business: BusinessAlarmConfig,
  version: string,
): ServiceAlarmDefinition {
  const below = business.direction === 'below';
  const scope = business.versionDimension
    ? `version ${version}`
    : `${service.name} while version ${version} ran`;
  return {
    AlarmName: serviceAlarmName(service.name, 'business'),
    AlarmDescription:
      `${service.name}: ${business.statistic} of ${business.namespace}/${business.metricName} of ${scope} ` +
      `${below ? 'below' : 'above'} ${business.threshold} for ${business.periods} minute(s) with invocations`,
    Metrics: [
      stat('invocations', lambdaMetric(service.name, version, 'Invocations'), 'Sum', ALARM_PERIOD_SECONDS),
      stat('business', businessMetric(business, version), business.statistic, ALARM_PERIOD_SECONDS),
      {
        Id: 'judged',
        Label: `${business.metricName} while version ${version} had invocations`,
        ReturnData: true,
        Expression: 'IF(invocations, business)',
      },
    ],
    ComparisonOperator: below ? 'LessThanThreshold' : 'GreaterThanThreshold',
    Threshold: business.threshold,
    EvaluationPeriods: business.periods,
    DatapointsToAlarm: business.periods,
    TreatMissingData: 'notBreaching',
  };
}

/** A service's canary alarms, judging `version`: error rate, p99 latency, and the business alarm if any. */
export function serviceAlarmDefinitions(service: ServiceConfig, version: string): ServiceAlarmDefinition[] {
  const business = service.deploy.alarms.business;
  return [
    errorRateAlarm(service, version),
    latencyAlarm(service, version),
    ...(business ? [businessAlarm(service, business, version)] : []),
  ];
}

/** The version an alarm judges: its ExecutedVersion dimension (every Sluice alarm has one). */
export function judgedVersion(alarm: {
  readonly Dimensions?: readonly { readonly Name?: string; readonly Value?: string }[];
  readonly Metrics?: readonly {
    readonly MetricStat?: {
      readonly Metric?: { readonly Dimensions?: readonly { Name?: string; Value?: string }[] };
    };
  }[];
}): string | undefined {
  const all = [
    ...(alarm.Dimensions ?? []),
    ...(alarm.Metrics ?? []).flatMap((q) => q.MetricStat?.Metric?.Dimensions ?? []),
  ];
  return all.find((d) => d.Name === 'ExecutedVersion')?.Value;
}

/**
 * Whether an alarm in ALARM blocks a deployment (preflight): when it judges the live version, no version yet (only
 * a person's SetAlarmState puts it there: a hold), or a version it cannot tell. One still judging a version that no
 * longer serves (a rolled-back canary) does not: that version gets no traffic, and the alarm returns to OK.
 */
export function blocksDeployments(judged: string | undefined, liveVersion: string | undefined): boolean {
  return (
    judged === undefined ||
    judged === UNRELEASED_VERSION ||
    liveVersion === undefined ||
    judged === liveVersion
  );
}

/**
 * Why an alarm being pointed at `version` must leave ALARM, or undefined when it need not. PutMetricAlarm keeps
 * an alarm's state until its next evaluation, so an ALARM about another version (a canary rolled back minutes
 * ago) would stop the next deployment at CodeDeploy's first poll. It goes to INSUFFICIENT_DATA instead (no
 * datapoint of the new version judged yet), on which CodeDeploy does not stop.
 */
export function staleAlarmReason(
  state: string | undefined,
  judged: string | undefined,
  version: string,
): string | undefined {
  if (state !== 'ALARM' || judged === version) return undefined;
  return `Now judging version ${version}; the ALARM was about version ${judged ?? 'unknown'}`;
}

/** One version's traffic over a canary's bake, from the metrics its alarms read. */
export interface VersionFigures {
  readonly version: string;
  /** Invocations through the live alias. */
  readonly invocations: number;
  /** Thrown, timed out, 5xx or failed batch items, in percent of invocations; undefined without invocations. */
  readonly errorRatePercent?: number;
  /** p99 of Lambda's Duration over the whole bake; undefined without invocations. */
  readonly p99LatencyMs?: number;
}

/** A canary's bake: the versions compared and when traffic was shifting. */
export interface BakeWindow {
  readonly service: string;
  readonly toVersion: string;
  readonly fromVersion?: string;
  readonly start: Date;
  readonly end: Date;
}

/**
 * The new version's and the previous version's figures over the same bake (issue 10 item 3): the footing for a
 * statistical judgment later. Kept on the release record.
 */
export interface CanaryBaseline {
  /** ISO 8601: the window the figures cover (whole periods around the bake). */
  readonly start: string;
  readonly end: string;
  readonly canary: VersionFigures;
  readonly previous?: VersionFigures;
}

/**
 * GetMetricData queries for one version's figures over a window of `periodSeconds`: the error-rate queries the
 * alarm uses, and the p99 of Duration. Ids start with `prefix` (lowercase).
 */
export function baselineQueries(
  service: string,
  version: string,
  prefix: string,
  periodSeconds: number,
): MetricQuery[] {
  return [
    ...errorRateQueries(service, version, { prefix, period: periodSeconds }).map((q) => ({
      ...q,
      ReturnData: true,
    })),
    {
      ...stat(`${prefix}P99`, lambdaMetric(service, version, 'Duration'), 'p99', periodSeconds),
      ReturnData: true,
    },
  ];
}

/** The figures of one version from GetMetricData's values by query id (a version without invocations: 0). */
export function versionFigures(
  value: (id: string) => number | undefined,
  prefix: string,
  version: string,
): VersionFigures {
  const invocations = value(`${prefix}Invocations`) ?? 0;
  const errorRatePercent = value(`${prefix}ErrorRate`);
  const p99LatencyMs = value(`${prefix}P99`);
  return {
    version,
    invocations,
    ...(invocations > 0 && errorRatePercent !== undefined ? { errorRatePercent } : {}),
    ...(invocations > 0 && p99LatencyMs !== undefined ? { p99LatencyMs } : {}),
  };
}

/** "v8 120 requests, 20% failed, p99 181 ms": one version's figures in words. */
export function formatFigures(figures: VersionFigures): string {
  const rate =
    figures.errorRatePercent === undefined
      ? ''
      : `, ${Math.round(figures.errorRatePercent * 10) / 10}% failed`;
  const p99 = figures.p99LatencyMs === undefined ? '' : `, p99 ${Math.round(figures.p99LatencyMs)} ms`;
  return `v${figures.version} ${figures.invocations} requests${rate}${p99}`;
}

/** The baseline in one line: canary against previous. */
export function formatBaseline(baseline: CanaryBaseline): string {
  return `canary ${formatFigures(baseline.canary)}${
    baseline.previous ? ` vs previous ${formatFigures(baseline.previous)}` : ''
  }`;
}
