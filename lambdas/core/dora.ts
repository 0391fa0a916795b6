/**
 * DORA metrics from the ledger's release records: a pure core, shared by the Record handler (which
 * publishes them when a release ends), `sluice metrics` and the status page.
 *
 * Definitions (docs/architecture.md, "Metrics"):
 *   - a production release is one that reached live traffic: `succeeded` or `rolled_back`;
 *   - deployment frequency: succeeded production releases per day over the period;
 *   - lead time for changes: for every commit a succeeded release shipped, production time minus commit
 *     time; the approval wait (time at the gate) is reported on its own and also subtracted out;
 *   - change failure rate: production releases that were rolled back by their alarms, or later needed a
 *     manual rollback (`sluice rollback` away from their version), over all production releases;
 *   - time to restore: failure detected (the deployment began failing) to the previous version serving
 *     again (the rollback's end); for a manual rollback, from the bad release going live (the bound we know).
 * A manual rollback is a ledger record of its own (`rollback` set): it is not a deployment of new changes.
 */

import type { ReleaseRecord } from '../ledger/ledger';
import type { ReleaseMode } from './catalog/types';
import { defined, medianOfSorted } from './defined';
import { commitsOf } from './model';

export interface MetricsPeriod {
  /** Inclusive. */
  readonly since: Date;
  /** Exclusive. */
  readonly until: Date;
}

/** A distribution of durations in milliseconds; all fields absent when there are no samples. */
export interface DurationSummary {
  readonly samples: number;
  readonly medianMs?: number;
  readonly meanMs?: number;
  readonly maxMs?: number;
}

export interface DoraMetrics {
  /** Releases that ended in the period (any outcome). */
  readonly releases: number;
  /** Succeeded production releases. */
  readonly deployments: number;
  readonly deploymentsPerDay: number;
  readonly leadTime: DurationSummary;
  /** Lead time with the approval wait taken out: what automation alone costs. */
  readonly leadTimeWithoutApproval: DurationSummary;
  readonly approvalWait: DurationSummary;
  /** Production releases (succeeded + rolled back). */
  readonly productionReleases: number;
  readonly failedProductionReleases: number;
  /** 0..1; undefined when nothing reached production. */
  readonly changeFailureRate?: number;
  readonly timeToRestore: DurationSummary;
}

export interface DoraReport {
  readonly period: { readonly since: string; readonly until: string; readonly days: number };
  readonly overall: DoraMetrics;
  readonly byMode: Readonly<Partial<Record<ReleaseMode, DoraMetrics>>>;
  readonly byService: Readonly<Record<string, DoraMetrics & { readonly mode: ReleaseMode }>>;
}

const DAY_MS = 86_400_000;

export function summarize(durations: readonly number[]): DurationSummary {
  if (durations.length === 0) return { samples: 0 };
  const sorted = [...durations].sort((a, b) => a - b);
  const median = defined(medianOfSorted(sorted), 'the median of samples');
  const sum = sorted.reduce((total, d) => total + d, 0);
  return {
    samples: sorted.length,
    medianMs: median,
    meanMs: sum / sorted.length,
    maxMs: sorted[sorted.length - 1],
  };
}

const ms = (iso: string | undefined): number | undefined => (iso ? new Date(iso).getTime() : undefined);

/** When the release's change was serving production: the end of its Deploy stage, else its outcome's end. */
export function productionTime(record: ReleaseRecord): number | undefined {
  return ms(record.stages.Deploy?.endedAt) ?? ms(record.outcome?.endedAt);
}

/** When the release ended (the period filter uses this). */
function endTime(record: ReleaseRecord): number | undefined {
  return ms(record.outcome?.endedAt);
}

/** A release of new changes that reached live traffic (a manual rollback is not one). */
export function isProductionRelease(record: ReleaseRecord): boolean {
  return !record.rollback && (record.status === 'succeeded' || record.status === 'rolled_back');
}

/**
 * Succeeded releases that a later manual rollback took away from: the newest succeeded release of the
 * service serving the rollback's `fromVersion` before the rollback started. Returns release id → the rollback.
 */
export function revertedReleases(records: readonly ReleaseRecord[]): Map<string, ReleaseRecord> {
  const reverted = new Map<string, ReleaseRecord>();
  for (const rollback of records) {
    if (!rollback.rollback?.fromVersion || rollback.status !== 'succeeded') continue;
    const started = Date.parse(rollback.startedAt);
    const culprit = records
      .filter(
        (r) =>
          !r.rollback &&
          r.service === rollback.service &&
          r.status === 'succeeded' &&
          r.version === rollback.rollback?.fromVersion &&
          (productionTime(r) ?? Number.POSITIVE_INFINITY) <= started,
      )
      .sort((a, b) => (productionTime(b) ?? 0) - (productionTime(a) ?? 0))[0];
    if (culprit) reverted.set(culprit.releaseId, rollback);
  }
  return reverted;
}

/**
 * Time to restore of a rolled-back release: from when its deployment began failing to the rollback's end.
 * The Deploy stage of a rolled-back release starts when traffic starts to shift to the new version (the
 * first request it could fail) and ends when the previous version serves 100% again.
 */
export function restoreDuration(record: ReleaseRecord): number | undefined {
  if (record.status !== 'rolled_back') return undefined;
  const restored = ms(record.stages.Deploy?.endedAt) ?? ms(record.outcome?.endedAt);
  const detected = ms(record.stages.Deploy?.startedAt);
  if (restored === undefined || detected === undefined) return undefined;
  return Math.max(0, restored - detected);
}

function metricsOf(records: readonly ReleaseRecord[], days: number): DoraMetrics {
  const succeeded = records.filter((r) => r.status === 'succeeded' && !r.rollback);
  const production = records.filter(isProductionRelease);
  const reverted = revertedReleases(records);
  const rolledBack = production.filter((r) => r.status === 'rolled_back' || reverted.has(r.releaseId));
  const leadTimes: number[] = [];
  const leadTimesWithoutApproval: number[] = [];
  const approvalWaits: number[] = [];
  for (const record of succeeded) {
    const shipped = productionTime(record);
    if (shipped === undefined) continue;
    const wait = record.stages.Approval?.durationMs ?? 0;
    if (record.stages.Approval) approvalWaits.push(wait);
    for (const commit of commitsOf(record)) {
      const lead = Math.max(0, shipped - new Date(commit.time).getTime());
      leadTimes.push(lead);
      leadTimesWithoutApproval.push(Math.max(0, lead - wait));
    }
  }
  const restores = rolledBack
    .map((r) => {
      const rollback = reverted.get(r.releaseId);
      if (!rollback) return restoreDuration(r);
      const restored = ms(rollback.outcome?.endedAt);
      const live = productionTime(r);
      return restored !== undefined && live !== undefined ? Math.max(0, restored - live) : undefined;
    })
    .filter((d): d is number => d !== undefined);
  return {
    releases: records.length,
    deployments: succeeded.length,
    deploymentsPerDay: days > 0 ? succeeded.length / days : 0,
    leadTime: summarize(leadTimes),
    leadTimeWithoutApproval: summarize(leadTimesWithoutApproval),
    approvalWait: summarize(approvalWaits),
    productionReleases: production.length,
    failedProductionReleases: rolledBack.length,
    ...(production.length > 0 ? { changeFailureRate: rolledBack.length / production.length } : {}),
    timeToRestore: summarize(restores),
  };
}

/** DORA metrics of the releases that ended in `period`, overall, per mode and per service. */
export function computeDora(records: readonly ReleaseRecord[], period: MetricsPeriod): DoraReport {
  const since = period.since.getTime();
  const until = period.until.getTime();
  if (!(until > since)) {
    throw new RangeError(
      `The metrics period must end after it starts; received since=${period.since.toISOString()} until=${period.until.toISOString()}`,
    );
  }
  const days = (until - since) / DAY_MS;
  const ended = records.filter((r) => {
    const end = endTime(r);
    return end !== undefined && end >= since && end < until && r.status !== 'running';
  });
  const byMode: Partial<Record<ReleaseMode, DoraMetrics>> = {};
  for (const mode of ['delivery', 'deployment'] as const) {
    const ofMode = ended.filter((r) => r.mode === mode);
    if (ofMode.length > 0) byMode[mode] = metricsOf(ofMode, days);
  }
  const byService: Record<string, DoraMetrics & { mode: ReleaseMode }> = {};
  for (const service of [...new Set(ended.map((r) => r.service))].sort()) {
    const ofService = ended.filter((r) => r.service === service);
    // The mode the service runs in now: its newest release's.
    const newest = ofService.reduce((a, b) => ((endTime(a) ?? 0) >= (endTime(b) ?? 0) ? a : b));
    byService[service] = { ...metricsOf(ofService, days), mode: newest.mode };
  }
  return {
    period: { since: period.since.toISOString(), until: period.until.toISOString(), days },
    overall: metricsOf(ended, days),
    byMode,
    byService,
  };
}

/** `30d`, `12h`, `2w` → milliseconds; a clear error for anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (!match) {
    throw new RangeError(
      `Cannot read the duration "${text}": write a whole number and a unit, e.g. 30d (days), 12h (hours), 2w (weeks), 90m (minutes)`,
    );
  }
  const unit = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[match[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

export interface DoraBucket {
  /** ISO 8601: the bucket's start (inclusive). */
  readonly start: string;
  readonly metrics: DoraMetrics;
}

/** The period cut into `buckets` equal slices, each with its metrics: what the status page charts. */
export function doraSeries(
  records: readonly ReleaseRecord[],
  period: MetricsPeriod,
  buckets: number,
): DoraBucket[] {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 366) {
    throw new RangeError(`A metrics series needs 1 to 366 buckets; received ${buckets}`);
  }
  const since = period.since.getTime();
  const width = (period.until.getTime() - since) / buckets;
  return Array.from({ length: buckets }, (_, i) => {
    const start = new Date(since + i * width);
    const until = new Date(since + (i + 1) * width);
    return { start: start.toISOString(), metrics: computeDora(records, { since: start, until }).overall };
  });
}
