/**
 * The history a local runtime keeps in its state folder across runs: the ledger (DynamoDB Local's database)
 * and the release metrics, with the outbox and artifacts that go with them. `--fresh` removes it.
 *
 * The runtime's executions, though, end with its process (in AWS, Step Functions keeps them). So a runtime
 * starting on an earlier ledger ends what an earlier one left open: nothing would ever finish those releases,
 * decide their approvals or free the production lock they hold, and the service's next deployment would
 * queue behind them for ever.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGE_NAMES, type StageName } from '../lambdas/core/model';
import type { Ledger, ReleaseRecord } from '../lambdas/ledger/ledger';

/** DynamoDB Local's database folder under the state folder. */
export const LEDGER_DIR = 'ledger';

/** What `--fresh` removes from the state folder; keys, the webhook secret and repositories stay. */
const HISTORY = [LEDGER_DIR, 'metrics', 'outbox', 'artifacts', 'versions', 'work'] as const;

export async function removeHistory(stateDir: string): Promise<void> {
  for (const entry of HISTORY) await rm(join(stateDir, entry), { recursive: true, force: true });
}

const WHY = 'The local runtime stopped while this release ran; its execution ended with that process.';

/** Where an interrupted release stopped: the first stage it has no record of (Approval only in delivery). */
function interruptedStage(release: ReleaseRecord): StageName {
  const stages = STAGE_NAMES.filter((s) => s !== 'Approval' || release.mode !== 'deployment');
  return stages.find((s) => release.stages[s] === undefined) ?? 'Record';
}

/**
 * Ends every release of `services` still `running` as `failed`, expires their pending approvals and frees
 * each service's production lock and queue. Resolves to the release ids it ended.
 */
export async function endInterruptedReleases(
  ledger: Ledger,
  services: readonly string[],
  now: Date,
): Promise<string[]> {
  const at = now.toISOString();
  const ended: string[] = [];
  for (const service of services) {
    for (const release of await ledger.listReleases(service)) {
      if (release.status !== 'running') continue;
      await ledger.finishRelease(release.releaseId, service, {
        status: 'failed',
        stage: interruptedStage(release),
        reason: WHY,
        endedAt: at,
      });
      ended.push(release.releaseId);
    }
    for (const approval of await ledger.listApprovals(service)) {
      if (approval.status !== 'pending') continue;
      await ledger.decideApproval(approval.approvalId, {
        status: 'expired',
        decidedBy: 'sluice-local',
        decidedAt: at,
        comment: WHY,
      });
    }
    // Each release hands the lock to the next in its queue; every one of them was interrupted.
    for (let holder = (await ledger.getServiceState(service))?.lockHolder; holder !== undefined; ) {
      holder = (await ledger.releaseDeployLock(service, holder, at))?.releaseId;
    }
  }
  return ended;
}
