import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReleaseMetricsSink } from '../../lambdas/core/ports';
import { releaseDatapoints } from '../../lambdas/core/release-metrics';
import type { ReleaseRecord } from '../../lambdas/ledger/ledger';

/** The local runtime's metrics: each release's DORA datapoints as one JSON line, readable and appendable. */
export class FileReleaseMetrics implements ReleaseMetricsSink {
  constructor(readonly file: string) {}

  async publish(release: ReleaseRecord): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const line = {
      at: release.outcome?.endedAt,
      service: release.service,
      mode: release.mode,
      releaseId: release.releaseId,
      datapoints: releaseDatapoints(release),
    };
    await appendFile(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }
}
