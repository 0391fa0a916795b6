/**
 * The DORA datapoints one finished release contributes, published as CloudWatch metrics through
 * Powertools Metrics (EMF on stdout: no PutMetricData call, no extra IAM). The dashboard
 * (lib/dora-dashboard.ts) and `sluice metrics` read the same names.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ReleaseRecord } from '../ledger/ledger';
import { isProductionRelease, productionTime, restoreDuration } from './dora';
import { commitsOf } from './model';
import { shadowVerdictOf } from './readiness';

export const DORA_NAMESPACE = 'Sluice';

/** Metric names; every datapoint carries the dimensions `Service` and `Mode`, and again `Mode` alone. */
export const DORA_METRICS = {
  releases: 'Releases',
  deployments: 'Deployments',
  leadTime: 'LeadTimeSeconds',
  approvalWait: 'ApprovalWaitSeconds',
  productionReleases: 'ProductionReleases',
  failedProductionReleases: 'FailedProductionReleases',
  timeToRestore: 'TimeToRestoreSeconds',
  shadowAgreement: 'ShadowAgreement',
} as const;

export const DORA_DIMENSIONS = { service: 'Service', mode: 'Mode' } as const;

export interface ReleaseDatapoint {
  readonly name: (typeof DORA_METRICS)[keyof typeof DORA_METRICS];
  readonly unit: 'Count' | 'Seconds';
  readonly value: number;
}

/**
 * The datapoints of one ended release (or of its attempt); lead time is one datapoint per commit it shipped, from
 * the commit's time. A release is counted once in `Releases`: a later attempt of a release whose earlier attempt
 * was counted (`metricsCountedAt`) publishes its datapoints without it. The other counts need no such care: only
 * a release's last attempt can reach production (succeeded and rolled-back releases are not retried).
 */
export function releaseDatapoints(record: ReleaseRecord): ReleaseDatapoint[] {
  const points: ReleaseDatapoint[] = record.metricsCountedAt
    ? []
    : [{ name: DORA_METRICS.releases, unit: 'Count', value: 1 }];
  if (record.rollback) {
    // A manual rollback says the release it took away from failed (that release was counted when it shipped).
    if (record.status === 'succeeded') {
      points.push({ name: DORA_METRICS.failedProductionReleases, unit: 'Count', value: 1 });
    }
    return points;
  }
  if (isProductionRelease(record)) {
    points.push({ name: DORA_METRICS.productionReleases, unit: 'Count', value: 1 });
    points.push({
      name: DORA_METRICS.failedProductionReleases,
      unit: 'Count',
      value: record.status === 'rolled_back' ? 1 : 0,
    });
  }
  const shipped = productionTime(record);
  if (record.status === 'succeeded' && shipped !== undefined) {
    points.push({ name: DORA_METRICS.deployments, unit: 'Count', value: 1 });
    for (const commit of commitsOf(record)) {
      const seconds = Math.max(0, (shipped - Date.parse(commit.time)) / 1000);
      points.push({ name: DORA_METRICS.leadTime, unit: 'Seconds', value: seconds });
    }
  }
  if (record.stages.Approval) {
    points.push({
      name: DORA_METRICS.approvalWait,
      unit: 'Seconds',
      value: record.stages.Approval.durationMs / 1000,
    });
  }
  const restore = restoreDuration(record);
  if (restore !== undefined)
    points.push({ name: DORA_METRICS.timeToRestore, unit: 'Seconds', value: restore / 1000 });
  const shadow = shadowVerdictOf(record);
  if (shadow)
    points.push({ name: DORA_METRICS.shadowAgreement, unit: 'Count', value: shadow.agrees ? 1 : 0 });
  return points;
}

/** Emits the release's datapoints twice: by `Service`+`Mode`, and by `Mode` alone (per-mode graphs). */
export function publishReleaseMetrics(metrics: Metrics, record: ReleaseRecord): ReleaseDatapoint[] {
  const points = releaseDatapoints(record);
  // Record runs as the release ends, so the datapoints' own timestamp (now) is the release's end.
  const dimensionSets: Record<string, string>[] = [
    { [DORA_DIMENSIONS.service]: record.service, [DORA_DIMENSIONS.mode]: record.mode },
    { [DORA_DIMENSIONS.mode]: record.mode },
  ];
  for (const dimensions of dimensionSets) {
    metrics.clearDefaultDimensions();
    metrics.addDimensions(dimensions);
    for (const point of points) {
      metrics.addMetric(
        point.name,
        point.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count,
        point.value,
      );
    }
    metrics.publishStoredMetrics();
  }
  return points;
}
