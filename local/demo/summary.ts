import type { Catalog } from '../../lambdas/core/catalog/types';
import { estimateRelease, formatUsd, type HandlerProfile } from '../../lambdas/core/cost';
import { HANDLER_PROFILE } from '../../lambdas/core/handler-profile';
import { PRICE_REGION } from '../../lambdas/core/prices';
import { formatBaseline } from '../../lambdas/core/service-alarms';
import type { ReleaseReport } from '../runtime';
import { attemptsLine } from '../status/format';

export interface SummaryRow {
  readonly title: string;
  readonly report: ReleaseReport;
  readonly expected: string;
  readonly ok: boolean;
  /** The alarm that stopped the release and the version it judged. @default - none fired */
  readonly judgedBy?: { readonly alarm: string; readonly version: string };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface SummaryOptions {
  /** The runtime's time compression: the Deploy stage's real length, for CodePipeline's deploy action. @default 1 */
  readonly timeScale?: number;
  /** For each service's required approvals. @default - one approval per delivery release */
  readonly catalog?: Catalog;
  /** @default HANDLER_PROFILE */
  readonly profile?: HandlerProfile;
}

/**
 * The per-release summary: service, mode, commit, outcome, where it ended, its attempt (and, for a retried
 * release, who retried it, why, and how the earlier attempts ended), transitions, time per stage, and
 * the orchestration cost estimate next to what CodePipeline V2 would charge for the same stages.
 */
export function formatSummary(rows: readonly SummaryRow[], options: SummaryOptions = {}): string {
  const profile = options.profile ?? HANDLER_PROFILE;
  const costOf = (report: ReleaseReport) =>
    report.record
      ? estimateRelease(report.record, {
          profile,
          timeScale: options.timeScale ?? 1,
          approvalsRequired: options.catalog?.services.find((s) => s.name === report.service)?.approval
            ?.required,
        })
      : undefined;
  const main = table(
    [
      '',
      'scenario',
      'service',
      'mode',
      'commit',
      'outcome',
      'ended at',
      'attempt',
      'transitions',
      'total',
      'cost',
      'CodePipeline V2',
    ],
    rows.map((r) => [
      r.ok ? '✔' : '✘',
      r.title,
      r.report.service,
      r.report.mode ?? '-',
      r.report.commit?.slice(0, 8) ?? '-',
      r.report.status,
      r.report.endedAt,
      String(r.report.record?.attempt ?? 1),
      String(r.report.transitions),
      seconds(r.report.durationMs),
      ...((cost) => (cost ? [formatUsd(cost.sluice.total), formatUsd(cost.codePipelineV2.usd)] : ['-', '-']))(
        costOf(r.report),
      ),
    ]),
  );
  const details = rows
    .map((r) => {
      const stages = r.report.stages.map((s) => `${s.state} ${seconds(s.durationMs)}`).join(' · ');
      const reason = r.report.reason ? `\n      reason: ${r.report.reason.split('\n')[0]}` : '';
      const alarm = r.judgedBy
        ? `\n      alarm: ${r.judgedBy.alarm}, judging version ${r.judgedBy.version}`
        : '';
      const baseline = r.report.record?.baseline
        ? `\n      baseline: ${formatBaseline(r.report.record.baseline)}`
        : '';
      const attempts = r.report.record && attemptsLine(r.report.record);
      const retried = attempts ? `\n      ${attempts}` : '';
      const expectation = r.ok
        ? ''
        : `\n      expected ${r.expected}, got ${r.report.status} at ${r.report.endedAt}`;
      return `  ${r.title}: ${stages}${reason}${alarm}${baseline}${retried}${expectation}`;
    })
    .join('\n');
  const note =
    `cost: orchestration estimate per release (lambdas/core/cost.ts, ${PRICE_REGION} list prices, handler profile of ` +
    `${profile.measuredAt}); CodePipeline V2: the same stages as actions at $0.002 per action-minute, with the same bake time.`;
  return `${main}\n${note}\n\nTime per stage:\n${details}`;
}
