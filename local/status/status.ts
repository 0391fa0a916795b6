/**
 * What `sluice status`, `sluice metrics` and the status page show, collected from the ledger: each
 * service's mode, readiness, pending approvals, recent releases and DORA metrics over time. The same code
 * reads DynamoDB Local (local runtime) and the deployed stack's table.
 */

import type { Catalog, ReleaseMode, ServiceConfig } from '../../lambdas/core/catalog/types';
import {
  estimateRelease,
  type FixedMonthlyCost,
  fixedMonthlyCost,
  type HandlerProfile,
  type MonthlyCost,
  monthlyCost,
} from '../../lambdas/core/cost';
import { computeDora, type DoraBucket, type DoraReport, doraSeries } from '../../lambdas/core/dora';
import { UnknownServiceError } from '../../lambdas/core/errors';
import { HANDLER_PROFILE } from '../../lambdas/core/handler-profile';
import { modeForRelease } from '../../lambdas/core/model';
import { PRICE_REGION } from '../../lambdas/core/prices';
import { assessReadiness, type Readiness, readinessPolicyOf } from '../../lambdas/core/readiness';
import type { Ledger, ModeSwitch, ReleaseRecord } from '../../lambdas/ledger/ledger';
import { type ApprovalView, approvalView, type ReleaseView, releaseView } from './views';

export interface StatusOptions {
  readonly now: Date;
  /** How far back metrics look, in milliseconds. */
  readonly periodMs: number;
  /** Chart resolution: the period is cut into this many slices. @default 10 */
  readonly buckets?: number;
  /** Only this service. @default - every service of the catalog */
  readonly service?: string;
  /** Per-handler figures the cost estimates rest on. @default HANDLER_PROFILE (measured by `npm run bench`) */
  readonly profile?: HandlerProfile;
}

/** A service's orchestration cost, estimated by lambdas/core/cost.ts from its ledger records. */
export interface ServiceCost {
  /** Each ended release of the period, by release id, in US dollars. */
  readonly releases: Readonly<Record<string, number>>;
  /** The period's releases at their pace for 30 days. */
  readonly perMonth: MonthlyCost;
  /** Its CloudWatch alarms and DORA metrics, billed monthly whether it releases or not. */
  readonly fixedPerMonth: FixedMonthlyCost;
}

export interface ServiceStatus {
  readonly name: string;
  /** As the catalog says: `delivery`, `deployment` or `auto`. */
  readonly configuredMode: ServiceConfig['mode'];
  /** What its next release runs as. */
  readonly mode: ReleaseMode;
  readonly live?: { readonly version?: string; readonly releaseId?: string; readonly commit?: string };
  /** For delivery and auto services: readiness for continuous deployment, with evidence. */
  readonly readiness?: Readiness;
  /** For a delivery service: readiness as a recommendation only. */
  readonly recommendation?: string;
  readonly pendingApprovals: readonly ApprovalView[];
  readonly recentReleases: readonly ReleaseView[];
  readonly modeSwitches: readonly ModeSwitch[];
  readonly series: readonly DoraBucket[];
  readonly cost: ServiceCost;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly dora: DoraReport;
  readonly series: readonly DoraBucket[];
  readonly services: readonly ServiceStatus[];
  /** What the cost estimates rest on: AWS region of the prices, and when the handler profile was measured. */
  readonly cost: { readonly region: string; readonly profileMeasuredAt: string };
}

export async function collectStatus(
  ledger: Ledger,
  catalog: Catalog,
  options: StatusOptions,
): Promise<StatusReport> {
  const services = options.service
    ? catalog.services.filter((s) => s.name === options.service)
    : catalog.services;
  if (options.service && services.length === 0) {
    throw new UnknownServiceError(
      `No service "${options.service}" in the catalog; known services: ${catalog.services.map((s) => s.name).join(', ')}`,
    );
  }
  const period = { since: new Date(options.now.getTime() - options.periodMs), until: options.now };
  const buckets = options.buckets ?? 10;
  const profile = options.profile ?? HANDLER_PROFILE;
  const periodDays = options.periodMs / 86_400_000;
  const all: ReleaseRecord[] = [];
  const statuses: ServiceStatus[] = [];
  for (const config of services) {
    const [state, mode, releases, approvals, modeSwitches] = await Promise.all([
      ledger.getServiceState(config.name),
      ledger.getServiceMode(config.name),
      ledger.listReleasesSince(config.name, period.since.toISOString()),
      ledger.listApprovals(config.name, 100),
      ledger.listModeSwitches(config.name),
    ]);
    all.push(...releases);
    const current = modeForRelease(config, mode);
    const readiness =
      current === 'delivery'
        ? assessReadiness(
            config.name,
            releases,
            approvals,
            readinessPolicyOf(config),
            mode ? new Date(mode.since) : undefined,
          )
        : undefined;
    const releaseUsd: Record<string, number> = {};
    for (const release of releases) {
      const estimate = estimateRelease(release, { profile, approvalsRequired: config.approval?.required });
      if (estimate) releaseUsd[release.releaseId] = estimate.sluice.total;
    }
    statuses.push({
      name: config.name,
      configuredMode: config.mode,
      mode: current,
      ...(state
        ? {
            live: {
              ...(state.liveVersion ? { version: state.liveVersion } : {}),
              ...(state.liveReleaseId ? { releaseId: state.liveReleaseId } : {}),
              ...(state.liveCommit ? { commit: state.liveCommit } : {}),
            },
          }
        : {}),
      ...(readiness ? { readiness } : {}),
      ...(readiness && config.mode === 'delivery'
        ? {
            recommendation: readiness.ready
              ? `Recommendation: ${readiness.summary} Set "mode": "deployment" (or "auto") in the catalog to act on it.`
              : `Recommendation: stay in delivery. ${readiness.summary}`,
          }
        : {}),
      pendingApprovals: approvals.filter((a) => a.status === 'pending').map(approvalView),
      recentReleases: releases.slice(0, 10).map(releaseView),
      modeSwitches,
      series: doraSeries(releases, period, buckets),
      cost: {
        releases: releaseUsd,
        perMonth: monthlyCost(Object.values(releaseUsd), periodDays),
        fixedPerMonth: fixedMonthlyCost(config),
      },
    });
  }
  return {
    generatedAt: options.now.toISOString(),
    dora: computeDora(all, period),
    series: doraSeries(all, period, buckets),
    services: statuses,
    cost: { region: PRICE_REGION, profileMeasuredAt: profile.measuredAt },
  };
}
