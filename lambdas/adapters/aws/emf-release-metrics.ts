import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ReleaseMetricsSink } from '../../core/ports';
import { DORA_NAMESPACE, publishReleaseMetrics } from '../../core/release-metrics';
import type { ReleaseRecord } from '../../ledger/ledger';

/**
 * DORA datapoints as CloudWatch Embedded Metric Format on stdout: CloudWatch Logs turns them into metrics,
 * so publishing needs no PutMetricData call and no IAM beyond the function's log group.
 */
export class EmfReleaseMetrics implements ReleaseMetricsSink {
  constructor(
    private readonly metrics: Metrics = new Metrics({ namespace: DORA_NAMESPACE, serviceName: 'sluice' }),
  ) {}

  async publish(release: ReleaseRecord): Promise<void> {
    publishReleaseMetrics(this.metrics, release);
  }
}
