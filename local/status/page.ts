/**
 * The status page: each service's mode, readiness, pending approvals, recent releases and DORA charts,
 * rendered from a StatusReport (local/status/status.ts). Server-rendered HTML with inline SVG, no script.
 */
import { formatUsd } from '../../lambdas/core/cost';
import type { DoraBucket, DoraMetrics } from '../../lambdas/core/dora';
import { escapeHtml } from '../../lambdas/core/html';
import { formatBaseline } from '../../lambdas/core/service-alarms';
import { type ChartPoint, formatSeconds, renderChart } from './charts';
import { attemptsLine, costFootnote, costLine } from './format';
import type { ServiceStatus, StatusReport } from './status';

const day = (iso: string) => iso.slice(5, 10);
const costOf = (releases: Readonly<Record<string, number>>, releaseId: string) => {
  const usd = releases[releaseId];
  return usd === undefined ? '–' : formatUsd(usd);
};
const percent = (ratio: number | undefined) => (ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`);
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : formatSeconds(ms / 1000));

/** The four DORA charts of a series. */
function doraCharts(series: readonly DoraBucket[], idPrefix: string): string {
  const points = (pick: (m: DoraMetrics) => number | undefined): ChartPoint[] =>
    series.map((b) => ({ label: day(b.start), value: pick(b.metrics) }));
  const charts = [
    renderChart(
      points((m) => m.deployments),
      { title: 'Deployments', format: (v) => `${Math.round(v * 10) / 10}` },
    ),
    renderChart(
      points((m) => (m.leadTime.medianMs === undefined ? undefined : m.leadTime.medianMs / 1000)),
      { title: 'Lead time (median)', kind: 'line', format: formatSeconds, color: '#7c3aed' },
    ),
    renderChart(
      points((m) => (m.changeFailureRate === undefined ? undefined : m.changeFailureRate * 100)),
      {
        title: 'Change failure rate (%)',
        kind: 'line',
        format: (v) => `${Math.round(v)}%`,
        color: '#dc2626',
      },
    ),
    renderChart(
      points((m) => (m.timeToRestore.medianMs === undefined ? undefined : m.timeToRestore.medianMs / 1000)),
      { title: 'Time to restore (median)', format: formatSeconds, color: '#ea580c' },
    ),
  ];
  return `<div class="charts" id="${escapeHtml(idPrefix)}-charts">${charts.join('')}</div>`;
}

function metricsLine(m: DoraMetrics, days: number): string {
  return (
    `<p class="dora">${m.deployments} deployment${m.deployments === 1 ? '' : 's'} in ${Math.round(days)} d ` +
    `(${(Math.round(m.deploymentsPerDay * 100) / 100).toString()}/day) · lead time ${seconds(m.leadTime.medianMs)} ` +
    `(of which approval wait ${seconds(m.approvalWait.medianMs)}) · change failure rate ${percent(m.changeFailureRate)} · ` +
    `time to restore ${seconds(m.timeToRestore.medianMs)}</p>`
  );
}

function serviceSection(service: ServiceStatus, report: StatusReport): string {
  const dora = report.dora.byService[service.name];
  const mode = service.configuredMode === 'auto' ? `auto: ${service.mode} now` : service.configuredMode;
  const readiness = service.readiness
    ? `<div class="readiness"><h3>Readiness for continuous deployment: <span class="score">${service.readiness.score}/100</span> ${
        service.readiness.ready
          ? '<span class="ready">ready</span>'
          : '<span class="not-ready">not yet</span>'
      }</h3><ul>${service.readiness.checks
        .map(
          (c) =>
            `<li class="${c.passed ? 'pass' : 'fail'}">${c.passed ? '✔' : '✘'} ${escapeHtml(c.detail)}</li>`,
        )
        .join(
          '',
        )}<li>Approvals: ${service.readiness.approvals.decided} decided, ${service.readiness.approvals.rejected} rejected, ${
        service.readiness.approvals.withComment
      } with a comment, median ${
        service.readiness.approvals.medianDecisionSeconds === undefined
          ? '–'
          : formatSeconds(service.readiness.approvals.medianDecisionSeconds)
      } to decide${service.readiness.approvals.rubberStamp ? ' — <strong>a rubber stamp</strong>' : ''}</li></ul>${
        service.recommendation ? `<p class="recommendation">${escapeHtml(service.recommendation)}</p>` : ''
      }</div>`
    : '';
  const pending =
    service.pendingApprovals.length > 0
      ? `<p class="pending">Waiting for approval: ${service.pendingApprovals
          .map((a) => `${escapeHtml(a.releaseId)} (expires ${escapeHtml(a.expiresAt)})`)
          .join(', ')}</p>`
      : '';
  const switches =
    service.modeSwitches.length > 0
      ? `<details><summary>Mode switches (${service.modeSwitches.length})</summary><ul>${service.modeSwitches
          .map(
            (s) =>
              `<li>${escapeHtml(s.since)}: ${escapeHtml(s.from)} → ${escapeHtml(s.mode)} after ${escapeHtml(s.releaseId)}: ${escapeHtml(s.reason)}</li>`,
          )
          .join('')}</ul></details>`
      : '';
  const rows = service.recentReleases
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.releaseId)}</td><td>${escapeHtml(r.mode)}</td><td>${escapeHtml(r.commit?.sha.slice(0, 12) ?? '-')}</td>` +
        `<td class="${escapeHtml(r.status)}">${escapeHtml(r.status)}</td><td>${escapeHtml(r.outcome?.stage ?? '-')}</td>` +
        `<td>${r.shadow ? escapeHtml(r.shadow.verdict.replace(/_/g, ' ')) : ''}</td>` +
        `<td class="usd">${costOf(service.cost.releases, r.releaseId)}</td>` +
        `<td>${escapeHtml(r.outcome?.reason ?? '')}</td>` +
        `<td class="attempt">${escapeHtml(attemptsLine(r) ?? String(r.attempt ?? 1))}</td>` +
        `<td class="baseline">${r.baseline ? escapeHtml(formatBaseline(r.baseline)) : ''}</td></tr>`,
    )
    .join('');
  const live = service.live?.version
    ? `version ${escapeHtml(service.live.version)} (${escapeHtml(service.live.releaseId ?? '')})`
    : 'nothing yet';
  return (
    `<section class="service" id="service-${escapeHtml(service.name)}"><h2>${escapeHtml(service.name)} <small class="mode">${escapeHtml(mode)}</small></h2>` +
    `<p>Live: ${live}</p>${pending}${dora ? metricsLine(dora, report.dora.period.days) : '<p class="dora">No release in this period.</p>'}` +
    `<p class="cost">${escapeHtml(costLine(service))}</p>` +
    `${doraCharts(service.series, service.name)}${readiness}${switches}` +
    `<table><thead><tr><th>Release</th><th>Mode</th><th>Commit</th><th>Outcome</th><th>Ended at</th><th>Shadow verdict</th><th>Cost (est.)</th><th>Reason</th><th>Attempt</th><th>Canary baseline</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

export function renderStatusPage(report: StatusReport): string {
  const byMode = (['delivery', 'deployment'] as const)
    .map((mode) => {
      const m = report.dora.byMode[mode];
      return m ? `<li><strong>${mode}</strong>: ${metricsLine(m, report.dora.period.days)}</li>` : '';
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice status</title><style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;margin-top:.5rem}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.succeeded,.pass{color:#15803d}.failed,.rolled_back,.rejected,.blocked,.expired,.cancelled,.fail{color:#b91c1c}.readiness ul{list-style:none;padding-left:0}
.charts{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0}.chart{background:#fafafa;border:1px solid #eee}.chart-title{font-weight:600;font-size:12px}.axis{font-size:10px;fill:#555}
.score,.usd{font-variant-numeric:tabular-nums}.footnote{color:#555;font-size:12px}.ready{color:#15803d}.not-ready{color:#92400e}section.service{border-top:2px solid #eee;padding-top:1rem;margin-top:1.5rem}.dora ul{padding-left:1rem}
</style></head><body><h1>Sluice</h1><p>DORA metrics from ${escapeHtml(report.dora.period.since.slice(0, 10))} to ${escapeHtml(report.dora.period.until.slice(0, 10))}; generated ${escapeHtml(report.generatedAt)}.</p>
<section id="overall"><h2>All services</h2><ul class="dora">${byMode}</ul>${doraCharts(report.series, 'overall')}</section>
${report.services.map((s) => serviceSection(s, report)).join('')}<p class="footnote">${escapeHtml(costFootnote(report))}</p></body></html>`;
}
