import type { ServiceConfig } from '../core/catalog/types';
import { modeForRelease } from '../core/model';
import { assessReadiness, decideAutoMode, type ModeDecision, readinessPolicyOf } from '../core/readiness';
import type { Ledger, ReleaseRecord } from '../ledger/ledger';

/** How many of a service's newest releases and approvals are read to judge readiness. */
const EVIDENCE_LIMIT = 200;

/**
 * After a release of an `auto` service ends: switch the service's mode when the evidence says so, and
 * keep the switch with that evidence. Returns the decision (switched or not).
 */
export async function evolveAutoMode(
  ended: ReleaseRecord,
  config: ServiceConfig,
  ledger: Ledger,
): Promise<ModeDecision> {
  const current = await ledger.getServiceMode(config.name);
  const mode = modeForRelease(config, current);
  const since = current ? new Date(current.since) : undefined;
  const [releases, approvals] = await Promise.all([
    ledger.listReleases(config.name, EVIDENCE_LIMIT),
    ledger.listApprovals(config.name, EVIDENCE_LIMIT),
  ]);
  const readiness = assessReadiness(config.name, releases, approvals, readinessPolicyOf(config), since);
  const decision = decideAutoMode(mode, ended, readiness);
  if (decision.switched) {
    await ledger.switchServiceMode({
      service: config.name,
      from: mode,
      mode: decision.mode,
      since: ended.outcome?.endedAt ?? new Date().toISOString(),
      reason: decision.reason,
      releaseId: ended.releaseId,
      evidence: readiness,
    });
  }
  return decision;
}
