/**
 * The orchestration cost users see: `sluice status`, the status page and the demo summary, from releases in a
 * real ledger (DynamoDB Local), with a hand-made handler profile so every figure can be worked out by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import type { HandlerProfile, HandlerProfileEntry } from '../../../lambdas/core/cost';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { formatSummary } from '../../../local/demo/summary';
import type { ReleaseReport } from '../../../local/runtime';
import { formatCosts, formatStatus } from '../../../local/status/format';
import { renderStatusPage } from '../../../local/status/page';
import { collectStatus, type StatusReport } from '../../../local/status/status';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const DAY = 86_400_000;
const small: HandlerProfileEntry = {
  memoryMb: 256,
  medianMs: 100,
  coldStartMs: 0,
  dynamoDbWriteUnits: 2,
  dynamoDbReadUnits: 1,
  cloudWatchRequests: 0,
  samples: 1,
};
const PROFILE: HandlerProfile = {
  measuredAt: '2026-12-04',
  method: 'test',
  handlers: Object.fromEntries(
    [
      'load-service',
      'stage',
      'request-approval',
      'record',
      'deployment-events',
      'alarm-events',
      'approval-api',
      'approval-expiry',
      'router',
      'github-webhook',
    ]
      .map((h) => [h, small] as const)
      .concat([
        ['build', { ...small, memoryMb: 1024 }],
        ['run-tests', { ...small, memoryMb: 1024 }],
        ['deploy', { ...small, cloudWatchRequests: 1 }],
      ]),
  ),
};

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

const STAGE_MS = { LoadService: 200, Build: 2000, Test: 3000, Stage: 500, Deploy: 6000 } as const;

/** What Record keeps after a canary: both versions over the bake. */
const BASELINE = {
  start: '2026-12-01T10:00:00.000Z',
  end: '2026-12-01T10:06:00.000Z',
  canary: { version: '8', invocations: 120, errorRatePercent: 20, p99LatencyMs: 180.6 },
  previous: { version: '7', invocations: 1080, errorRatePercent: 0.5, p99LatencyMs: 95 },
};
const BASELINE_LINE =
  'canary v8 120 requests, 20% failed, p99 181 ms vs previous v7 1080 requests, 0.5% failed, p99 95 ms';

let dynamo: TestLedger;
let ledger: Ledger;
let report: StatusReport;

/** A green release of checkout `daysAgo` days ago, pushed through CodeCommit, with the stage times above. */
async function seed(n: number, daysAgo: number): Promise<void> {
  const releaseId = `checkout-${n}`;
  let at = Date.now() - daysAgo * DAY;
  const iso = (ms: number) => new Date(ms).toISOString();
  await ledger.startRelease({
    releaseId,
    service: 'checkout',
    mode: 'deployment',
    commit: { sha: `${n}`.padEnd(40, 'a'), author: 'dev@example.com', message: 'change', time: iso(at) },
    startedAt: iso(at),
    trigger: { source: 'codecommit' },
  });
  for (const [stage, ms] of Object.entries(STAGE_MS)) {
    await ledger.recordStage(releaseId, stage as keyof typeof STAGE_MS, {
      status: 'succeeded',
      startedAt: iso(at),
      endedAt: iso(at + ms),
      durationMs: ms,
    });
    at += ms;
  }
  await ledger.finishRelease(releaseId, 'checkout', {
    status: 'succeeded',
    stage: 'Deploy',
    endedAt: iso(at),
  });
}

beforeAll(async () => {
  dynamo = await startTestLedger();
  ledger = await dynamo.newLedger();
  await seed(1, 3);
  await seed(2, 1);
  await ledger.updateRelease('checkout-2', { baseline: BASELINE });
  report = await collectStatus(ledger, catalog, { now: new Date(), periodMs: 7 * DAY, profile: PROFILE });
}, 120_000);

afterAll(async () => {
  await dynamo?.stop();
});

// Per release, worked out by hand: 9 transitions × $0.000025 = $0.000225; Lambda: load 0.25 GB × 0.2 s + build
// 1 × 2 + test 1 × 3 + stage 0.25 × 0.5 + (deploy, record, router) 3 × 0.25 × 0.1 = 5.25 GB-s × $0.00001667 plus
// 7 requests × $0.0000002; DynamoDB 14 WRU × $0.625/M + 7 RRU × $0.125/M; one DescribeAlarms at $0.01/1000.
const PER_RELEASE = 0.000225 + 5.25 * 0.00001667 + 7 * 0.0000002 + 14 * 0.625e-6 + 7 * 0.125e-6 + 0.00001;

describe('the status report', () => {
  it('estimates each release and the month at the pace of the period', () => {
    const [checkout] = report.services;
    expect(checkout?.cost.releases['checkout-1']).toBeCloseTo(PER_RELEASE, 12);
    expect(checkout?.cost.releases['checkout-2']).toBeCloseTo(PER_RELEASE, 12);
    // 2 releases in 7 days → 60/7 a month
    expect(checkout?.cost.perMonth.releasesPerMonth).toBeCloseTo(60 / 7, 12);
    expect(checkout?.cost.perMonth.usd).toBeCloseTo((2 * PER_RELEASE * 30) / 7, 12);
    // 3 alarm metrics × $0.10 + 6 DORA metrics × $0.30
    expect(checkout?.cost.fixedPerMonth.total).toBeCloseTo(2.1, 12);
    expect(report.cost).toEqual({ region: 'us-east-1', profileMeasuredAt: '2026-12-04' });
  });

  it('prints it in sluice status and in the demo’s cost lines', () => {
    const line =
      'orchestration cost: $0.000334 per release; $0.00286 per month at 8.6 releases a month ' +
      '(+ $2.10 a month for its CloudWatch alarms and DORA metrics)';
    const text = formatStatus(report);
    expect(text).toContain(`  ${line}`);
    expect(text).toMatch(/checkout-2 +succeeded +Deploy +\$0\.000334/);
    expect(formatCosts(report)).toContain(`checkout: ${line}`);
    expect(formatCosts(report)).toContain('handler durations measured by npm run bench on 2026-12-04');
  });

  it("shows each canary's baseline under its release in sluice status and on the status page", () => {
    expect(formatStatus(report)).toMatch(
      new RegExp(`checkout-2 .*\\n    baseline: ${BASELINE_LINE.replace(/[.]/g, '\\.')}\\n`),
    );
    expect(formatStatus(report)).not.toMatch(/checkout-1 .*\n {4}baseline/);
    expect(renderStatusPage(report)).toContain('<th>Canary baseline</th>');
    expect(renderStatusPage(report)).toContain(`<td class="baseline">${BASELINE_LINE}</td>`);
  });

  it('shows it on the status page, per release and per month', () => {
    const html = renderStatusPage(report);
    expect(html).toContain('<th>Cost (est.)</th>');
    expect(html).toContain('<td class="usd">$0.000334</td>');
    expect(html).toContain('$0.00286 per month at 8.6 releases a month');
  });
});

describe('the demo summary', () => {
  it('puts each release’s estimate next to CodePipeline V2’s price for the same stages', async () => {
    const record = await ledger.requireRelease('checkout-2');
    const report: ReleaseReport = {
      releaseId: 'checkout-2',
      service: 'checkout',
      mode: 'deployment',
      status: 'succeeded',
      endedAt: 'Deploy',
      transitions: 9,
      stages: [],
      durationMs: 12_000,
      record,
    };
    const text = formatSummary([{ title: 'green', report, expected: 'succeeded at Deploy', ok: true }], {
      profile: PROFILE,
      timeScale: 60,
    });
    // CodePipeline V2: Source, Build, Test, Stage 1 minute each + the 6-second Deploy at ×60 = 6 minutes.
    expect(text).toMatch(/green +checkout +deployment .* 9 +12\.0s +\$0\.000334 +\$0\.0200/);
    expect(text).toContain('$0.002 per action-minute');
    expect(text).not.toContain('alarm:');
  });

  it('names the alarm that stopped a release and the version it judged', async () => {
    const record = await ledger.requireRelease('checkout-2');
    const report: ReleaseReport = {
      releaseId: 'checkout-2',
      service: 'checkout',
      mode: 'deployment',
      status: 'rolled_back',
      endedAt: 'Deploy',
      transitions: 10,
      stages: [],
      durationMs: 12_000,
      reason: 'sluice-checkout-error-rate fired',
      record: { ...record, baseline: BASELINE },
    };
    const judgedBy = { alarm: 'sluice-checkout-error-rate', version: '7' };
    const text = formatSummary([
      { title: 'bad', report, expected: 'rolled_back at Deploy', ok: true, judgedBy },
    ]);
    expect(text).toMatch(
      /bad: \n\s+reason: sluice-checkout-error-rate fired\n\s+alarm: sluice-checkout-error-rate, judging version 7/,
    );
    expect(text).toContain(`\n      baseline: ${BASELINE_LINE}`);
  });
});
