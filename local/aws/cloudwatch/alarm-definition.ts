/**
 * One shape for a metric alarm, read from either of the two places Sluice's alarms are defined: the Properties of
 * an `AWS::CloudWatch::Alarm` in a synthesized template, or a PutMetricAlarm input. Both use the same field names.
 */
import { type Expr, MetricMathError, parseExpression, referencedIds } from './metric-math';
import { assertSupportedStatistic, UnsupportedStatisticError } from './statistics';

export const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** Compared with an anomaly detection band, which needs a model trained on weeks of history. */
const BAND_OPERATORS = [
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
];

export const TREAT_MISSING_DATA = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

interface DimensionInput {
  readonly Name?: unknown;
  readonly Value?: unknown;
}

interface MetricStatInput {
  readonly Metric?: {
    readonly Namespace?: unknown;
    readonly MetricName?: unknown;
    readonly Dimensions?: unknown;
  };
  readonly Period?: unknown;
  readonly Stat?: unknown;
  readonly Unit?: unknown;
}

interface MetricDataQueryInput {
  readonly Id?: unknown;
  readonly Expression?: unknown;
  readonly Label?: unknown;
  readonly ReturnData?: unknown;
  readonly Period?: unknown;
  readonly MetricStat?: MetricStatInput;
}

/**
 * PutMetricAlarm's input (`@aws-sdk/client-cloudwatch` PutMetricAlarmInput) or an AWS::CloudWatch::Alarm's
 * Properties with intrinsics resolved: the fields an alarm's evaluation depends on, loosely typed because both
 * arrive as JSON.
 */
export interface MetricAlarmInput {
  readonly AlarmName?: unknown;
  readonly AlarmDescription?: unknown;
  readonly ComparisonOperator?: unknown;
  readonly EvaluationPeriods?: unknown;
  readonly DatapointsToAlarm?: unknown;
  readonly Threshold?: unknown;
  readonly ThresholdMetricId?: unknown;
  readonly TreatMissingData?: unknown;
  readonly EvaluateLowSampleCountPercentile?: unknown;
  readonly Namespace?: unknown;
  readonly MetricName?: unknown;
  readonly Dimensions?: unknown;
  readonly Period?: unknown;
  readonly Statistic?: unknown;
  readonly ExtendedStatistic?: unknown;
  readonly Metrics?: unknown;
  readonly [other: string]: unknown;
}

export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export type AlarmQuery =
  | {
      readonly kind: 'metric';
      readonly id: string;
      readonly returnData: boolean;
      readonly metric: MetricIdentity;
      /** Seconds. */
      readonly period: number;
      readonly stat: string;
    }
  | {
      readonly kind: 'expression';
      readonly id: string;
      readonly returnData: boolean;
      readonly source: string;
      readonly expression: Expr;
    };

export interface AlarmDefinition {
  readonly name: string;
  readonly description?: string;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** M of an "M out of N" alarm; N (evaluationPeriods) when not given. */
  readonly datapointsToAlarm: number;
  /** `missing` when not given. */
  readonly treatMissingData: TreatMissingData;
  /** `evaluate` when not given. */
  readonly evaluateLowSampleCountPercentile: 'evaluate' | 'ignore';
  /** Seconds per datapoint. */
  readonly period: number;
  /** A single-metric alarm is one metric query; a metric math alarm lists all its queries. */
  readonly queries: readonly AlarmQuery[];
  /** The query whose result the alarm judges. */
  readonly returnId: string;
}

/** What PutMetricAlarm would refuse (CloudWatch's ValidationError), or what the local CloudWatch cannot evaluate. */
export class InvalidAlarmError extends Error {
  override readonly name = 'InvalidAlarmError';
}

function text(value: unknown, field: string, alarm: string): string {
  if (typeof value !== 'string' || value === '')
    throw new InvalidAlarmError(
      `${alarm}: ${field} must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  return value;
}

function number(value: unknown, field: string, alarm: string): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed))
    throw new InvalidAlarmError(`${alarm}: ${field} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
}

function integer(value: unknown, field: string, alarm: string, min: number): number {
  const parsed = number(value, field, alarm);
  if (!Number.isInteger(parsed) || parsed < min)
    throw new InvalidAlarmError(`${alarm}: ${field} must be a whole number ≥ ${min}, got ${parsed}`);
  return parsed;
}

function period(value: unknown, field: string, alarm: string): number {
  const seconds = integer(value, field, alarm, 1);
  if (![10, 20, 30].includes(seconds) && seconds % 60 !== 0)
    throw new InvalidAlarmError(
      `${alarm}: ${field} must be 10, 20, 30 or a multiple of 60 seconds, got ${seconds}`,
    );
  return seconds;
}

function dimensions(value: unknown, alarm: string): Record<string, string> {
  if (value === undefined) return {};
  if (!Array.isArray(value))
    throw new InvalidAlarmError(`${alarm}: Dimensions must be a list of {Name, Value}`);
  const out: Record<string, string> = {};
  for (const item of value as DimensionInput[]) {
    out[text(item?.Name, 'Dimensions[].Name', alarm)] = text(item?.Value, 'Dimensions[].Value', alarm);
  }
  return out;
}

function statistic(stat: string, alarm: string): string {
  try {
    assertSupportedStatistic(stat);
  } catch (error) {
    if (error instanceof UnsupportedStatisticError) throw new InvalidAlarmError(`${alarm}: ${error.message}`);
    throw error;
  }
  return stat;
}

function queriesOf(input: MetricAlarmInput, alarm: string): { queries: AlarmQuery[]; returnId: string } {
  if (input.Metrics !== undefined) {
    if (input.MetricName !== undefined || input.Namespace !== undefined || input.Statistic !== undefined)
      throw new InvalidAlarmError(
        `${alarm}: give either Metrics or MetricName/Namespace/Statistic, not both`,
      );
    if (!Array.isArray(input.Metrics) || input.Metrics.length === 0)
      throw new InvalidAlarmError(`${alarm}: Metrics must be a non-empty list`);
    const queries = (input.Metrics as MetricDataQueryInput[]).map((query): AlarmQuery => {
      const id = text(query?.Id, 'Metrics[].Id', alarm);
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id))
        throw new InvalidAlarmError(
          `${alarm}: Metrics[].Id ${JSON.stringify(id)} must start with a lowercase letter`,
        );
      // PutMetricAlarm: "specify true for the one expression result to use as the alarm"; absent means true.
      const returnData =
        query.ReturnData === undefined ? true : query.ReturnData === true || query.ReturnData === 'true';
      if (query.Expression !== undefined) {
        const source = text(query.Expression, `Metrics[${id}].Expression`, alarm);
        try {
          return { kind: 'expression', id, returnData, source, expression: parseExpression(source) };
        } catch (error) {
          if (error instanceof MetricMathError)
            throw new InvalidAlarmError(`${alarm}: ${id}: ${error.message}`);
          throw error;
        }
      }
      const stat = query.MetricStat;
      if (!stat?.Metric)
        throw new InvalidAlarmError(`${alarm}: Metrics[${id}] needs an Expression or a MetricStat`);
      return {
        kind: 'metric',
        id,
        returnData,
        metric: {
          namespace: text(stat.Metric.Namespace, `Metrics[${id}].MetricStat.Metric.Namespace`, alarm),
          metricName: text(stat.Metric.MetricName, `Metrics[${id}].MetricStat.Metric.MetricName`, alarm),
          dimensions: dimensions(stat.Metric.Dimensions, alarm),
        },
        period: period(stat.Period, `Metrics[${id}].MetricStat.Period`, alarm),
        stat: statistic(text(stat.Stat, `Metrics[${id}].MetricStat.Stat`, alarm), alarm),
      };
    });
    const returning = queries.filter((q) => q.returnData);
    if (returning.length !== 1)
      throw new InvalidAlarmError(
        `${alarm}: exactly one of Metrics must have ReturnData true (the alarm's value), got ${returning.length}`,
      );
    const ids = new Set<string>();
    for (const query of queries) {
      if (ids.has(query.id)) throw new InvalidAlarmError(`${alarm}: Metrics Id ${query.id} is used twice`);
      ids.add(query.id);
    }
    for (const query of queries) {
      if (query.kind !== 'expression') continue;
      for (const ref of referencedIds(query.expression)) {
        if (!ids.has(ref))
          throw new InvalidAlarmError(
            `${alarm}: expression ${query.id} refers to ${ref}, which is not in Metrics`,
          );
      }
    }
    return { queries, returnId: (returning[0] as AlarmQuery).id };
  }
  const hasStatistic = input.Statistic !== undefined;
  const hasExtended = input.ExtendedStatistic !== undefined;
  if (hasStatistic === hasExtended)
    throw new InvalidAlarmError(`${alarm}: give exactly one of Statistic and ExtendedStatistic`);
  const stat = text(hasStatistic ? input.Statistic : input.ExtendedStatistic, 'Statistic', alarm);
  return {
    queries: [
      {
        kind: 'metric',
        id: 'm1',
        returnData: true,
        metric: {
          namespace: text(input.Namespace, 'Namespace', alarm),
          metricName: text(input.MetricName, 'MetricName', alarm),
          dimensions: dimensions(input.Dimensions, alarm),
        },
        period: period(input.Period, 'Period', alarm),
        stat: statistic(stat, alarm),
      },
    ],
    returnId: 'm1',
  };
}

/** Validates a PutMetricAlarm input or alarm Properties and returns the alarm the local CloudWatch evaluates. */
export function alarmDefinition(input: MetricAlarmInput): AlarmDefinition {
  const name = text(input.AlarmName, 'AlarmName', 'an alarm');
  const comparison = text(input.ComparisonOperator, 'ComparisonOperator', name);
  if (BAND_OPERATORS.includes(comparison) || input.ThresholdMetricId !== undefined)
    throw new InvalidAlarmError(
      `${name}: ${comparison} compares with an anomaly detection band, which the local CloudWatch cannot train`,
    );
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(comparison))
    throw new InvalidAlarmError(
      `${name}: ComparisonOperator must be one of ${COMPARISON_OPERATORS.join(', ')}`,
    );
  const evaluationPeriods = integer(input.EvaluationPeriods, 'EvaluationPeriods', name, 1);
  const datapointsToAlarm =
    input.DatapointsToAlarm === undefined
      ? evaluationPeriods
      : integer(input.DatapointsToAlarm, 'DatapointsToAlarm', name, 1);
  if (datapointsToAlarm > evaluationPeriods)
    throw new InvalidAlarmError(
      `${name}: DatapointsToAlarm (${datapointsToAlarm}) cannot exceed EvaluationPeriods (${evaluationPeriods})`,
    );
  const treat = input.TreatMissingData ?? 'missing';
  if (!(TREAT_MISSING_DATA as readonly unknown[]).includes(treat))
    throw new InvalidAlarmError(`${name}: TreatMissingData must be one of ${TREAT_MISSING_DATA.join(', ')}`);
  const lowSamples = input.EvaluateLowSampleCountPercentile ?? 'evaluate';
  if (lowSamples !== 'evaluate' && lowSamples !== 'ignore')
    throw new InvalidAlarmError(`${name}: EvaluateLowSampleCountPercentile must be evaluate or ignore`);
  const { queries, returnId } = queriesOf(input, name);
  const periods = new Set(queries.flatMap((q) => (q.kind === 'metric' ? [q.period] : [])));
  if (periods.size !== 1)
    throw new InvalidAlarmError(`${name}: every metric of an alarm must use the same period`);
  const seconds = [...periods][0] as number;
  if (seconds * evaluationPeriods > 86_400)
    throw new InvalidAlarmError(`${name}: Period × EvaluationPeriods cannot exceed one day`);
  return {
    name,
    ...(typeof input.AlarmDescription === 'string' ? { description: input.AlarmDescription } : {}),
    comparison: comparison as ComparisonOperator,
    threshold: number(input.Threshold, 'Threshold', name),
    evaluationPeriods,
    datapointsToAlarm,
    treatMissingData: treat as TreatMissingData,
    evaluateLowSampleCountPercentile: lowSamples,
    period: seconds,
    queries,
    returnId,
  };
}

/** Whether one datapoint breaches the alarm's threshold. */
export function breaches(
  definition: Pick<AlarmDefinition, 'comparison' | 'threshold'>,
  value: number,
): boolean {
  const { threshold } = definition;
  switch (definition.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * The value one dimension has in an alarm's metrics, e.g. ExecutedVersion: the version a Sluice canary alarm
 * judges (every metric of one of its alarms names the same version).
 */
export function dimensionValue(definition: AlarmDefinition, name: string): string | undefined {
  for (const query of definition.queries) {
    const value = query.kind === 'metric' ? query.metric.dimensions[name] : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}
