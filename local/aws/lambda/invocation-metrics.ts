/**
 * The AWS/Lambda metrics Lambda publishes for one invocation ("Types of metrics for Lambda functions"):
 * Invocations (1), Errors (1 for a function error — the handler threw, timed out or crashed — and 0 otherwise:
 * an answer with a 5xx status is not an error) and Duration, each by FunctionName, by FunctionName + Resource
 * (the alias or version invoked) and, for an alias invocation, by FunctionName + Resource + ExecutedVersion.
 */
import type { MetricDatum } from '../cloudwatch/metric-store';

export interface Invocation {
  readonly functionName: string;
  /** The version that ran. */
  readonly version: string;
  /** The alias the caller invoked, when it did not name a version. */
  readonly alias?: string;
  /** Epoch ms the invocation started. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The function threw, timed out or crashed. */
  readonly functionError: boolean;
}

export function invocationMetrics(invocation: Invocation): MetricDatum[] {
  const { functionName, version, alias } = invocation;
  const dimensionSets: Record<string, string>[] = [
    { FunctionName: functionName },
    { FunctionName: functionName, Resource: `${functionName}:${alias ?? version}` },
    ...(alias
      ? [{ FunctionName: functionName, Resource: `${functionName}:${alias}`, ExecutedVersion: version }]
      : []),
  ];
  const values: [string, number, string][] = [
    ['Invocations', 1, 'Count'],
    ['Errors', invocation.functionError ? 1 : 0, 'Count'],
    ['Duration', invocation.durationMs, 'Milliseconds'],
  ];
  return dimensionSets.flatMap((dimensions) =>
    values.map(([metricName, value, unit]) => ({
      namespace: 'AWS/Lambda',
      metricName,
      dimensions,
      // Lambda sends an invocation's metrics when it finishes: they count in the period it ended in.
      timestamp: invocation.startedAt + invocation.durationMs,
      value,
      unit,
    })),
  );
}
