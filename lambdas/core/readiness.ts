/**
 * Readiness of a delivery service for continuous deployment, and the `auto` mode's switching rule: a pure
 * core over the ledger's records. The evidence is kept with every verdict so a person can check it.
 */

import type { ReleaseRecord, ShadowRecord } from '../ledger/ledger';
import type { ReadinessConfig, ReleaseMode } from './catalog/types';
import { medianOfSorted } from './defined';
import { computeDora, isProductionRelease } from './dora';

/** The shadow verdict of a delivery release that reached a decision; undefined for any other release. */
export function shadowVerdictOf(record: ReleaseRecord): ShadowRecord | undefined {
  if (record.mode !== 'delivery' || record.rollback) return undefined;
  if (record.status === 'rejected') {
    return {
      verdict: 'would_ship',
      decision: 'rejected',
      agrees: false,
      canaryRan: false,
      reason:
        'tests and staging passed, so deployment mode would have started the canary; the person rejected it',
    };
  }
  if (record.status === 'succeeded') {
    return {
      verdict: 'would_ship',
      decision: 'approved',
      agrees: true,
      canaryRan: true,
      reason: 'the canary stayed within its alarms',
    };
  }
  if (record.status === 'rolled_back') {
    return {
      verdict: 'would_roll_back',
      decision: 'approved',
      agrees: false,
      canaryRan: true,
      reason: `the canary's alarms fired: ${record.outcome?.reason ?? 'rolled back'}`,
    };
  }
  return undefined;
}

/** The thresholds of `mode: auto`, and of the recommendation a delivery service gets. */
export interface ReadinessPolicy {
  /** Production releases in a row without a rollback or rejection. @default 5 */
  readonly minCleanReleases: number;
  /** Over the evidence window. @default 0.15 */
  readonly maxChangeFailureRate: number;
  /** Median time to restore. @default 3_600_000 (1 h) */
  readonly maxTimeToRestoreMs: number;
  /** Share of decided delivery releases where the person agreed with the shadow verdict. @default 0.8 */
  readonly minShadowAgreement: number;
  /** How many of the newest releases are evidence. @default 20 */
  readonly window: number;
  /** An approval faster than this, with no comment, is a rubber stamp. @default 120 */
  readonly rubberStampSeconds: number;
}

export const DEFAULT_READINESS_POLICY: ReadinessPolicy = {
  minCleanReleases: 5,
  maxChangeFailureRate: 0.15,
  maxTimeToRestoreMs: 3_600_000,
  minShadowAgreement: 0.8,
  window: 20,
  rubberStampSeconds: 120,
};

/** The catalog's thresholds over the defaults. */
export function readinessPolicyOf(config: { readonly readiness?: ReadinessConfig }): ReadinessPolicy {
  const r = config.readiness ?? {};
  const d = DEFAULT_READINESS_POLICY;
  return {
    minCleanReleases: r.minCleanReleases ?? d.minCleanReleases,
    maxChangeFailureRate: r.maxChangeFailureRate ?? d.maxChangeFailureRate,
    maxTimeToRestoreMs:
      r.maxTimeToRestoreMinutes !== undefined ? r.maxTimeToRestoreMinutes * 60_000 : d.maxTimeToRestoreMs,
    minShadowAgreement: r.minShadowAgreement ?? d.minShadowAgreement,
    window: r.window ?? d.window,
    rubberStampSeconds: r.rubberStampSeconds ?? d.rubberStampSeconds,
  };
}

/** One approval request as readiness reads it (from the ledger's approval items). */
export interface ApprovalSample {
  readonly status: string;
  readonly requestedAt: string;
  readonly decidedAt?: string;
  readonly comment?: string;
}

export interface ApprovalBehaviour {
  readonly decided: number;
  readonly approved: number;
  readonly rejected: number;
  readonly withComment: number;
  /** Approvals given within `rubberStampSeconds` of the request, with no comment. */
  readonly quickApprovals: number;
  readonly medianDecisionSeconds?: number;
  /** Every decision a quick, comment-less approval: the gate is not catching anything. */
  readonly rubberStamp: boolean;
}

export interface ReadinessCheck {
  readonly name: 'clean-releases' | 'change-failure-rate' | 'time-to-restore' | 'shadow-agreement';
  readonly passed: boolean;
  /** The evidence, in words. */
  readonly detail: string;
}

export interface Readiness {
  readonly service: string;
  /** 0..100: the share of checks passed. */
  readonly score: number;
  readonly ready: boolean;
  readonly consecutiveCleanReleases: number;
  readonly changeFailureRate?: number;
  readonly medianTimeToRestoreMs?: number;
  readonly shadow: { readonly decided: number; readonly agreed: number; readonly agreement?: number };
  readonly approvals: ApprovalBehaviour;
  readonly checks: readonly ReadinessCheck[];
  /** One sentence for people: the recommendation and why. */
  readonly summary: string;
}

/** Production releases in a row, newest first, that were not rolled back (by alarm or by hand) and not rejected. */
export function consecutiveCleanReleases(newestFirst: readonly ReleaseRecord[]): number {
  let clean = 0;
  for (const record of newestFirst) {
    if (record.rollback || record.status === 'rolled_back' || record.status === 'rejected') break;
    if (record.status === 'succeeded') clean++;
  }
  return clean;
}

export function approvalBehaviour(
  samples: readonly ApprovalSample[],
  rubberStampSeconds: number,
): ApprovalBehaviour {
  const decided = samples.filter((s) => s.decidedAt && (s.status === 'approved' || s.status === 'rejected'));
  const seconds = decided.map((s) => (Date.parse(s.decidedAt ?? '') - Date.parse(s.requestedAt)) / 1000);
  const approved = decided.filter((s) => s.status === 'approved');
  const withComment = decided.filter((s) => (s.comment ?? '').trim() !== '').length;
  const quickApprovals = decided.filter(
    (s, i) =>
      s.status === 'approved' &&
      (seconds[i] ?? Infinity) <= rubberStampSeconds &&
      (s.comment ?? '').trim() === '',
  ).length;
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = medianOfSorted(sorted);
  return {
    decided: decided.length,
    approved: approved.length,
    rejected: decided.length - approved.length,
    withComment,
    quickApprovals,
    ...(median !== undefined ? { medianDecisionSeconds: median } : {}),
    rubberStamp: decided.length > 0 && quickApprovals === decided.length,
  };
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * Readiness of one service from its newest releases (any order) and approval requests. Only releases
 * after `since` count (the last mode switch), so a demoted service must earn its clean streak again.
 */
export function assessReadiness(
  service: string,
  releases: readonly ReleaseRecord[],
  approvals: readonly ApprovalSample[],
  policy: ReadinessPolicy = DEFAULT_READINESS_POLICY,
  since?: Date,
): Readiness {
  const ended = releases
    .filter((r) => r.service === service && r.status !== 'running' && r.outcome)
    .filter((r) => !since || Date.parse(r.outcome?.endedAt ?? '') > since.getTime())
    .sort((a, b) => Date.parse(b.outcome?.endedAt ?? '') - Date.parse(a.outcome?.endedAt ?? ''))
    .slice(0, policy.window);
  const clean = consecutiveCleanReleases(ended);
  const production = ended.filter(isProductionRelease);
  let changeFailureRate: number | undefined;
  let medianTimeToRestoreMs: number | undefined;
  if (ended.length > 0) {
    const times = ended.map((r) => Date.parse(r.outcome?.endedAt ?? ''));
    const dora = computeDora(ended, {
      since: new Date(Math.min(...times)),
      until: new Date(Math.max(...times) + 1),
    });
    changeFailureRate = dora.overall.changeFailureRate;
    medianTimeToRestoreMs = dora.overall.timeToRestore.medianMs;
  }
  const shadows = ended.map(shadowVerdictOf).filter((s): s is ShadowRecord => s !== undefined);
  const agreed = shadows.filter((s) => s.agrees).length;
  const agreement = shadows.length > 0 ? agreed / shadows.length : undefined;
  const sinceMs = since?.getTime() ?? 0;
  const recentApprovals = approvals
    .filter((a) => Date.parse(a.requestedAt) > sinceMs)
    .sort((a, b) => Date.parse(b.requestedAt) - Date.parse(a.requestedAt))
    .slice(0, policy.window);
  const behaviour = approvalBehaviour(recentApprovals, policy.rubberStampSeconds);

  const checks: ReadinessCheck[] = [
    {
      name: 'clean-releases',
      passed: clean >= policy.minCleanReleases,
      detail: `${clean} clean production release${clean === 1 ? '' : 's'} in a row (needs ${policy.minCleanReleases})`,
    },
    {
      name: 'change-failure-rate',
      passed: production.length > 0 && (changeFailureRate ?? 1) <= policy.maxChangeFailureRate,
      detail:
        changeFailureRate === undefined
          ? 'no production release yet'
          : `change failure rate ${percent(changeFailureRate)} over ${production.length} production releases (at most ${percent(policy.maxChangeFailureRate)})`,
    },
    {
      name: 'time-to-restore',
      passed: medianTimeToRestoreMs === undefined || medianTimeToRestoreMs <= policy.maxTimeToRestoreMs,
      detail:
        medianTimeToRestoreMs === undefined
          ? 'no rollback to restore from'
          : `median time to restore ${minutes(medianTimeToRestoreMs)} (at most ${minutes(policy.maxTimeToRestoreMs)})`,
    },
    {
      name: 'shadow-agreement',
      passed: agreement !== undefined && agreement >= policy.minShadowAgreement,
      detail:
        agreement === undefined
          ? 'no decided delivery release to compare'
          : `people agreed with the shadow verdict on ${agreed} of ${shadows.length} releases (${percent(agreement)}, needs ${percent(policy.minShadowAgreement)})`,
    },
  ];
  const passed = checks.filter((c) => c.passed).length;
  const ready = passed === checks.length;
  const failing = checks.filter((c) => !c.passed).map((c) => c.detail);
  const stamp = behaviour.rubberStamp
    ? `; the last ${behaviour.decided} approvals came within ${policy.rubberStampSeconds} s with no comment and no rejection, so the gate is a rubber stamp`
    : '';
  const summary = ready
    ? `${service} is ready for continuous deployment: ${checks.map((c) => c.detail).join('; ')}${stamp}.`
    : `${service} is not ready yet: ${failing.join('; ')}${stamp}.`;
  return {
    service,
    score: Math.round((passed / checks.length) * 100),
    ready,
    consecutiveCleanReleases: clean,
    ...(changeFailureRate !== undefined ? { changeFailureRate } : {}),
    ...(medianTimeToRestoreMs !== undefined ? { medianTimeToRestoreMs } : {}),
    shadow: { decided: shadows.length, agreed, ...(agreement !== undefined ? { agreement } : {}) },
    approvals: behaviour,
    checks,
    summary,
  };
}

export interface ModeDecision {
  readonly mode: ReleaseMode;
  readonly switched: boolean;
  readonly reason: string;
}

/**
 * The `auto` mode's rule, evaluated when a release ends. Promote a delivery service when every readiness
 * check passes on the releases since its last switch; demote a deployment service when a production
 * release was rolled back. Hysteresis: a demotion starts the evidence afresh (`since` = the switch), so
 * promotion needs `minCleanReleases` clean releases after it and alternating outcomes never flap.
 */
export function decideAutoMode(
  current: ReleaseMode,
  ended: ReleaseRecord,
  readiness: Readiness,
): ModeDecision {
  if (current === 'deployment') {
    if (ended.status === 'rolled_back') {
      return {
        mode: 'delivery',
        switched: true,
        reason: `release ${ended.releaseId} was rolled back in production (${ended.outcome?.reason ?? 'no reason recorded'}): back to delivery until it earns readiness again`,
      };
    }
    if (ended.rollback) {
      return {
        mode: 'delivery',
        switched: true,
        reason: `${ended.rollback.requestedBy} rolled production back by hand (${ended.rollback.reason}): back to delivery until it earns readiness again`,
      };
    }
    return { mode: 'deployment', switched: false, reason: 'no failed production release' };
  }
  if (readiness.ready) return { mode: 'deployment', switched: true, reason: readiness.summary };
  return { mode: 'delivery', switched: false, reason: readiness.summary };
}
