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
import { closePending } from '../lambdas/core/approval-decision';
import { abnormalOutcome } from '../lambdas/execution-events/execution-events';
import type { Ledger } from '../lambdas/ledger/ledger';

/** DynamoDB Local's database folder under the state folder. */
export const LEDGER_DIR = 'ledger';

/** What `--fresh` removes from the state folder; keys, the webhook secret and repositories stay. */
const HISTORY = [LEDGER_DIR, 'metrics', 'outbox', 'artifacts', 'versions', 'work'] as const;

export async function removeHistory(stateDir: string): Promise<void> {
  for (const entry of HISTORY) await rm(join(stateDir, entry), { recursive: true, force: true });
}

const WHY = 'The local runtime stopped while this release ran; its execution ended with that process.';

/**
 * Ends every release of `services` still `running` as an ABORTED execution ends in AWS (execution-events):
 * `aborted`, at the stage it was in, with the reason (abnormalOutcome); its pending approval closes as `aborted`,
 * so its links say the release ended; and each service's production lock and queue are freed. Unlike there, no
 * deployment is stopped and the lock is handed to no queued release: the local deployments and every queued
 * release ended with the same process. Resolves to the release ids it ended.
 */
export async function endInterruptedReleases(
  ledger: Ledger,
  services: readonly string[],
  now: Date,
): Promise<string[]> {
  const at = now.toISOString();
  const ports = { ledger, clock: { now: () => now } };
  const stopped = { name: '', executionArn: '', stateMachineArn: '', status: 'ABORTED', cause: WHY };
  const ended: string[] = [];
  for (const service of services) {
    const reasons = new Map<string, string>();
    for (const release of await ledger.listReleases(service)) {
      if (release.status !== 'running') continue;
      const outcome = abnormalOutcome(release, { ...stopped, name: release.releaseId }, now);
      await ledger.finishRelease(release.releaseId, service, outcome);
      reasons.set(release.releaseId, outcome.reason ?? WHY);
      ended.push(release.releaseId);
    }
    // Every pending request waited on an execution of the stopped process.
    for (const approval of await ledger.listApprovals(service)) {
      if (approval.status !== 'pending') continue;
      const reason = reasons.get(approval.releaseId) ?? WHY;
      await closePending(approval, { status: 'aborted', reason }, ports);
    }
    // Each release hands the lock to the next in its queue; every one of them was interrupted.
    for (let holder = (await ledger.getServiceState(service))?.lockHolder; holder !== undefined; ) {
      holder = (await ledger.releaseDeployLock(service, holder, at))?.releaseId;
    }
  }
  return ended;
}
