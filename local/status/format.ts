/** Plain-text views of a StatusReport for `sluice status` and `sluice metrics`. */
import { formatUsd } from '../../lambdas/core/cost';
import type { DoraMetrics } from '../../lambdas/core/dora';
import { formatBaseline } from '../../lambdas/core/service-alarms';
import type { ReleaseRecord } from '../../lambdas/ledger/ledger';
import { formatSeconds } from './charts';
import type { ServiceStatus, StatusReport } from './status';

const percent = (ratio: number | undefined) =>
  ratio === undefined ? '–' : `${Math.round(ratio * 1000) / 10}%`;
const duration = (ms: number | undefined) => (ms === undefined ? '–' : formatSeconds(ms / 1000));

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  return [
    pad(header, widths),
    pad(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((r) => pad(r, widths)),
  ];
}

const METRIC_HEADER = [
  '',
  'mode',
  'releases',
  'deploys',
  'per day',
  'lead time p50',
  'approval wait p50',
  'change fail',
  'restore p50',
] as const;

function metricCells(name: string, mode: string, m: DoraMetrics): string[] {
  return [
    name,
    mode,
    String(m.releases),
    String(m.deployments),
    (Math.round(m.deploymentsPerDay * 100) / 100).toString(),
    duration(m.leadTime.medianMs),
    duration(m.approvalWait.medianMs),
    `${percent(m.changeFailureRate)} (${m.failedProductionReleases}/${m.productionReleases})`,
    duration(m.timeToRestore.medianMs),
  ];
}

/** DORA metrics per service and per mode. */
export function formatMetrics(report: StatusReport): string {
  const { dora } = report;
  const rows: string[][] = [];
  for (const [name, m] of Object.entries(dora.byService)) rows.push(metricCells(name, m.mode, m));
  for (const mode of ['delivery', 'deployment'] as const) {
    const m = dora.byMode[mode];
    if (m) rows.push(metricCells(`all ${mode}`, mode, m));
  }
  rows.push(metricCells('all', '', dora.overall));
  return [
    `DORA metrics, ${dora.period.since.slice(0, 16).replace('T', ' ')} to ${dora.period.until.slice(0, 16).replace('T', ' ')} UTC (${Math.round(dora.period.days * 10) / 10} day${dora.period.days === 1 ? '' : 's'})`,
    '',
    ...table(METRIC_HEADER, rows),
    '',
    'lead time: commit → production; approval wait: time at the gate (part of lead time); change fail: rolled-back production releases.',
  ].join('\n');
}

/**
 * A service's orchestration cost in one line: the mean estimate per release, the period's releases at their pace
 * for a month, and the CloudWatch alarms and metrics it pays for every month.
 */
export function costLine(service: ServiceStatus): string {
  const each = Object.values(service.cost.releases);
  const mean = each.length ? each.reduce((sum, usd) => sum + usd, 0) / each.length : undefined;
  const month = service.cost.perMonth;
  return (
    `orchestration cost: ${mean === undefined ? 'no ended release in the period' : `${formatUsd(mean)} per release`}; ` +
    `${formatUsd(month.usd)} per month at ${Math.round(month.releasesPerMonth * 10) / 10} releases a month ` +
    `(+ ${formatUsd(service.cost.fixedPerMonth.total)} a month for its CloudWatch alarms and DORA metrics)`
  );
}

/** Where the cost figures come from, for a footnote. */
export function costFootnote(report: StatusReport): string {
  return (
    `cost: estimates from the ledger (lambdas/core/cost.ts) at ${report.cost.region} list prices (lambdas/core/prices.ts), ` +
    `handler durations measured by npm run bench on ${report.cost.profileMeasuredAt}.`
  );
}

/** Each service's orchestration cost, per release and per month. */
export function formatCosts(report: StatusReport): string {
  return [...report.services.map((s) => `${s.name}: ${costLine(s)}`), costFootnote(report)].join('\n');
}

/**
 * A retried release's attempts in one line: the current one, who retried it and why, and how the earlier ones
 * ended. Undefined for a release on its first attempt. The status text, the status page and the demo summary
 * all show this line.
 */
export function attemptsLine(r: Pick<ReleaseRecord, 'attempt' | 'attempts' | 'retry'>): string | undefined {
  if (!r.retry || (r.attempt ?? 1) < 2) return undefined;
  const earlier = (r.attempts ?? [])
    .map((a) => `${a.attempt} ${a.status}${a.outcome ? ` at ${a.outcome.stage}` : ''}`)
    .join(', ');
  return `attempt ${r.attempt}, retried by ${r.retry.requestedBy}: ${r.retry.reason}${earlier ? ` (earlier: ${earlier})` : ''}`;
}

/** Each service: mode, what is live, readiness, pending approvals, recent releases and their cost. */
export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const s of report.services) {
    const mode = s.configuredMode === 'auto' ? `auto (${s.mode} now)` : s.mode;
    lines.push(
      `${s.name}  [${mode}]  live: ${s.live?.version ? `version ${s.live.version} (${s.live.releaseId})` : 'nothing yet'}`,
    );
    if (s.readiness) {
      lines.push(`  readiness ${s.readiness.score}/100${s.readiness.ready ? ' — ready' : ''}`);
      for (const c of s.readiness.checks) lines.push(`    ${c.passed ? '✔' : '✘'} ${c.detail}`);
      if (s.readiness.approvals.rubberStamp) lines.push('    ! approvals look like a rubber stamp');
    }
    if (s.recommendation) lines.push(`  ${s.recommendation}`);
    for (const a of s.pendingApprovals)
      lines.push(`  waiting for approval: ${a.releaseId} (id ${a.approvalId}, expires ${a.expiresAt})`);
    for (const sw of s.modeSwitches.slice(0, 3))
      lines.push(`  switched ${sw.from} → ${sw.mode} at ${sw.since}: ${sw.reason}`);
    lines.push(`  ${costLine(s)}`);
    for (const r of s.recentReleases.slice(0, 5)) {
      const usd = s.cost.releases[r.releaseId];
      lines.push(
        `  ${r.releaseId.padEnd(28)} ${r.status.padEnd(11)} ${(r.outcome?.stage ?? '').padEnd(11)} ${(usd === undefined ? '' : formatUsd(usd)).padEnd(10)} ${r.shadow ? `shadow: ${r.shadow.verdict}` : ''}`.trimEnd(),
      );
      if (r.baseline) lines.push(`    baseline: ${formatBaseline(r.baseline)}`);
      const attempts = attemptsLine(r);
      if (attempts) lines.push(`    ${attempts}`);
      if (r.cancellation)
        lines.push(
          `    ${r.status === 'running' ? 'cancelling' : 'cancelled'} by ${r.cancellation.requestedBy} at ${r.cancellation.at}: ${r.cancellation.reason}`,
        );
    }
    lines.push('');
  }
  lines.push(formatMetrics(report));
  lines.push(costFootnote(report));
  return lines.join('\n');
}
