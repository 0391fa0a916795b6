/**
 * A retried release as users see it: `sluice status`, the status page, the demo summary and the DORA figures,
 * from a release whose attempts the real ledger (DynamoDB Local) holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import type { StageName } from '../../../lambdas/core/model';
import type { Ledger, ReleaseRecord } from '../../../lambdas/ledger/ledger';
import { formatSummary } from '../../../local/demo/summary';
import type { ReleaseReport } from '../../../local/runtime';
import { formatStatus } from '../../../local/status/format';
import { renderStatusPage } from '../../../local/status/page';
import { collectStatus, type StatusReport } from '../../../local/status/status';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const LINE = 'attempt 2, retried by dana@example.com: flaky checkout test (earlier: 1 failed at Test)';

const catalog = (() => {
  const result = parseCatalog({
    version: 1,
    services: [
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/h.ts' },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.catalog;
})();

let dynamo: TestLedger;
let ledger: Ledger;
let report: StatusReport;
let retried: ReleaseRecord;

async function stage(releaseId: string, name: StageName, from: number, to: number, failed = false) {
  await ledger.recordStage(releaseId, name, {
    status: failed ? 'failed' : 'succeeded',
    startedAt: iso(from),
    endedAt: iso(to),
    durationMs: to - from,
  });
}

beforeAll(async () => {
  dynamo = await startTestLedger();
  ledger = await dynamo.newLedger();
  // Committed 6 h ago; attempt 1 started 5 h ago and failed at Test; attempt 2, retried 1 h ago, went live.
  const commitAt = NOW - 6 * HOUR;
  const releaseId = 'checkout-retried0000';
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'deployment',
    commit: { sha: 'r'.repeat(40), author: 'dev@example.com', message: 'change', time: iso(commitAt) },
    startedAt: iso(NOW - 5 * HOUR),
    trigger: { source: 'local-git' },
  });
  await stage(releaseId, 'Test', NOW - 5 * HOUR, NOW - 5 * HOUR + MIN, true);
  await ledger.finishRelease(releaseId, 'checkout', {
    status: 'failed',
    stage: 'Test',
    reason: 'checkout.test.ts timed out once',
    endedAt: iso(NOW - 5 * HOUR + MIN),
  });
  await ledger.startAttempt(releaseId, {
    attempt: 2,
    startedAt: iso(NOW - HOUR),
    requestedBy: 'dana@example.com',
    reason: 'flaky checkout test',
  });
  await stage(releaseId, 'Deploy', NOW - 10 * MIN, NOW - 5 * MIN);
  await ledger.finishRelease(releaseId, 'checkout', {
    status: 'succeeded',
    stage: 'Deploy',
    endedAt: iso(NOW - 5 * MIN),
  });
  retried = await ledger.requireRelease(releaseId);
  await cancelledThenRetried();
  report = await collectStatus(ledger, catalog, { now: new Date(NOW), periodMs: 7 * 24 * HOUR });
}, 120_000);

/** checkout-cancelled00: attempt 1 cancelled at Test by dana, attempt 2 (retried by her) still running. */
async function cancelledThenRetried(): Promise<void> {
  const releaseId = 'checkout-cancelled00';
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'deployment',
    commit: { sha: 'c'.repeat(40), author: 'dev@example.com', message: 'change', time: iso(NOW - 3 * HOUR) },
    startedAt: iso(NOW - 3 * HOUR),
    trigger: { source: 'local-git' },
  });
  await ledger.requestCancel(releaseId, {
    requestedBy: 'dana@example.com',
    reason: 'wrong branch',
    at: iso(NOW - 2 * HOUR),
    action: 'execution',
  });
  await ledger.finishRelease(releaseId, 'checkout', {
    status: 'cancelled',
    stage: 'Test',
    reason: 'Cancelled by dana@example.com: wrong branch',
    endedAt: iso(NOW - 2 * HOUR),
  });
  await ledger.startAttempt(releaseId, {
    attempt: 2,
    startedAt: iso(NOW - 30 * MIN),
    requestedBy: 'dana@example.com',
    reason: 'right branch now',
  });
}

afterAll(async () => {
  await dynamo?.stop();
});

describe('a retried release', () => {
  it('shows its attempt, who retried it, why, and how attempt 1 ended, in sluice status', () => {
    expect(formatStatus(report)).toMatch(
      new RegExp(`checkout-retried0000 +succeeded +Deploy .*\\n    ${LINE.replace(/[()]/g, '\\$&')}\\n`),
    );
  });

  it('shows the same on the status page, in its Attempt column', () => {
    const html = renderStatusPage(report);
    expect(html).toContain('<th>Attempt</th>');
    expect(html).toContain(`<td class="attempt">${LINE}</td>`);
  });

  it('counts once in DORA: one release, one deployment, lead time from the commit', () => {
    expect(report.dora.byService.checkout).toMatchObject({
      releases: 1,
      deployments: 1,
      productionReleases: 1,
      changeFailureRate: 0,
    });
    // Live at NOW - 5 min, committed at NOW - 6 h: lead time 5 h 55 min, not attempt 2's 55 min.
    expect(report.dora.byService.checkout?.leadTime.medianMs).toBe(6 * HOUR - 5 * MIN);
  });

  it('shows its attempt in the demo summary, with the same line under its stages', () => {
    const run: ReleaseReport = {
      releaseId: retried.releaseId,
      service: 'checkout',
      mode: 'deployment',
      commit: retried.commit.sha,
      status: 'succeeded',
      endedAt: 'Deploy',
      transitions: 9,
      stages: [],
      durationMs: 12_000,
      record: retried,
    };
    const text = formatSummary([
      { title: 'retried', report: run, expected: 'succeeded at Deploy', ok: true },
    ]);
    expect(text).toMatch(/ attempt +transitions/);
    expect(text).toMatch(/retried +checkout +deployment +rrrrrrrr +succeeded +Deploy +2 +9 +12\.0s/);
    expect(text).toContain(`  retried: \n      ${LINE}`);
  });

  it('shows a cancelled attempt among the earlier ones, and no cancellation for the attempt retried after it', () => {
    const text = formatStatus(report);
    expect(text).toMatch(
      /checkout-cancelled00 +running.*\n {4}attempt 2, retried by dana@example\.com: right branch now \(earlier: 1 cancelled at Test\)\n/,
    );
    expect(text).not.toMatch(/checkout-cancelled00 .*\n.*\n {4}cancell/);
    expect(renderStatusPage(report)).toContain(
      '<td class="attempt">attempt 2, retried by dana@example.com: right branch now (earlier: 1 cancelled at Test)</td>',
    );
  });

  it('shows a release on its first attempt as attempt 1, with no attempts line', () => {
    const first = { ...retried, attempt: undefined, attempts: undefined, retry: undefined };
    const html = renderStatusPage({
      ...report,
      services: report.services.map((s) => ({ ...s, recentReleases: [first] })),
    });
    expect(html).toContain('<td class="attempt">1</td>');
    expect(html).not.toContain('retried by');
  });
});
