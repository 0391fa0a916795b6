/**
 * CloudWatch Logs' metric extraction from Embedded Metric Format log events ("Specification: Embedded metric
 * format"): `_aws.CloudWatchMetrics[]` directives name a namespace, dimension sets and metrics, whose values are
 * root members of the same JSON object. An event that breaks the specification yields no metric.
 */
import type { MetricDatum } from './metric-store';

interface Directive {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function directiveDatums(
  directive: Directive,
  root: Record<string, unknown>,
  timestamp: number,
): MetricDatum[] | undefined {
  const namespace = directive.Namespace;
  if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255) return undefined;
  if (!Array.isArray(directive.Dimensions) || !Array.isArray(directive.Metrics)) return undefined;
  if (directive.Metrics.length > 100) return undefined;
  const dimensionSets: Record<string, string>[] = [];
  for (const set of directive.Dimensions as unknown[]) {
    if (!Array.isArray(set) || set.length > 9) return undefined;
    const dimensions: Record<string, string> = {};
    for (const key of set as unknown[]) {
      // A dimension target MUST be a root member with a string value.
      if (typeof key !== 'string' || typeof root[key] !== 'string') return undefined;
      dimensions[key] = root[key] as string;
    }
    dimensionSets.push(dimensions);
  }
  const datums: MetricDatum[] = [];
  for (const definition of directive.Metrics as unknown[]) {
    if (!isRecord(definition) || typeof definition.Name !== 'string') return undefined;
    const target = root[definition.Name];
    const values = Array.isArray(target) ? target : [target];
    if (values.length > 100 || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))
      return undefined;
    const unit = typeof definition.Unit === 'string' ? definition.Unit : undefined;
    for (const dimensions of dimensionSets) {
      for (const value of values as number[]) {
        datums.push({
          namespace,
          metricName: definition.Name,
          dimensions,
          timestamp,
          value,
          ...(unit ? { unit } : {}),
        });
      }
    }
  }
  return datums;
}

/**
 * The metrics one log line carries; [] for a line that is not an EMF document or breaks the specification. Text
 * before the JSON object is allowed (Lambda may prefix a line with its own metadata). `receivedAt` stands in for
 * a missing `_aws.Timestamp`.
 */
export function emfDatums(line: string, receivedAt: number): MetricDatum[] {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('"_aws"')) return [];
  let root: unknown;
  try {
    root = JSON.parse(line.slice(start));
  } catch {
    return [];
  }
  if (!isRecord(root) || !isRecord(root._aws)) return [];
  const { CloudWatchMetrics: directives, Timestamp: stamp } = root._aws;
  if (!Array.isArray(directives)) return [];
  const timestamp = typeof stamp === 'number' && Number.isFinite(stamp) ? stamp : receivedAt;
  const datums: MetricDatum[] = [];
  for (const directive of directives as unknown[]) {
    const extracted = isRecord(directive) ? directiveDatums(directive, root, timestamp) : undefined;
    if (!extracted) return [];
    datums.push(...extracted);
  }
  return datums;
}
