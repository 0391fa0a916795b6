import type { ReleaseReport } from '../runtime';

export interface SummaryRow {
  readonly title: string;
  readonly report: ReleaseReport;
  readonly expected: string;
  readonly ok: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The per-release summary: service, mode, commit, outcome, where it ended, transitions, time per stage. */
export function formatSummary(rows: readonly SummaryRow[]): string {
  const main = table(
    ['', 'scenario', 'service', 'mode', 'commit', 'outcome', 'ended at', 'transitions', 'total'],
    rows.map((r) => [
      r.ok ? '✔' : '✘',
      r.title,
      r.report.service,
      r.report.mode ?? '-',
      r.report.commit?.slice(0, 8) ?? '-',
      r.report.status,
      r.report.endedAt,
      String(r.report.transitions),
      seconds(r.report.durationMs),
    ]),
  );
  const details = rows
    .map((r) => {
      const stages = r.report.stages.map((s) => `${s.state} ${seconds(s.durationMs)}`).join(' · ');
      const reason = r.report.reason ? `\n      reason: ${r.report.reason.split('\n')[0]}` : '';
      const expectation = r.ok
        ? ''
        : `\n      expected ${r.expected}, got ${r.report.status} at ${r.report.endedAt}`;
      return `  ${r.title}: ${stages}${reason}${expectation}`;
    })
    .join('\n');
  return `${main}\n\nTime per stage:\n${details}`;
}
