/**
 * What `sluice status`, `sluice metrics` and the status page show, collected from the ledger: each
 * service's mode, readiness, pending approvals, recent releases and DORA metrics over time. The same code
 * reads DynamoDB Local (local runtime) and the deployed stack's table.
 */

import type { Catalog, ReleaseMode, ServiceConfig } from '../../lambdas/core/catalog/types';
import { computeDora, type DoraBucket, type DoraReport, doraSeries } from '../../lambdas/core/dora';
import { UnknownServiceError } from '../../lambdas/core/errors';
import { modeForRelease } from '../../lambdas/core/model';
import { assessReadiness, type Readiness, readinessPolicyOf } from '../../lambdas/core/readiness';
import type { ApprovalRecord, Ledger, ModeSwitch, ReleaseRecord } from '../../lambdas/ledger/ledger';

export interface StatusOptions {
  readonly now: Date;
  /** How far back metrics look, in milliseconds. */
  readonly periodMs: number;
  /** Chart resolution: the period is cut into this many slices. @default 10 */
  readonly buckets?: number;
  /** Only this service. @default - every service of the catalog */
  readonly service?: string;
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
  readonly pendingApprovals: readonly ApprovalRecord[];
  readonly recentReleases: readonly ReleaseRecord[];
  readonly modeSwitches: readonly ModeSwitch[];
  readonly series: readonly DoraBucket[];
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly dora: DoraReport;
  readonly series: readonly DoraBucket[];
  readonly services: readonly ServiceStatus[];
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
      pendingApprovals: approvals.filter((a) => a.status === 'pending'),
      recentReleases: releases.slice(0, 10),
      modeSwitches,
      series: doraSeries(releases, period, buckets),
    });
  }
  return {
    generatedAt: options.now.toISOString(),
    dora: computeDora(all, period),
    series: doraSeries(all, period, buckets),
    services: statuses,
  };
}
