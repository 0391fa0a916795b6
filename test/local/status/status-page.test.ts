/**
 * The status page in Debian's Chromium, over a seeded ledger in DynamoDB Local: the charts are drawn from
 * real data (checked in the rendered pixels, not only in the HTML), readiness and pending approvals show.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../lambdas/core/catalog/validate';
import type { ReleaseStatus } from '../../../lambdas/core/model';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import type { StatusReport } from '../../../local/status/status';
import { LocalWebServer } from '../../../local/web-server';
import { startBrowser, type TestBrowser } from '../../support/browser';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';

const HOUR = 3_600_000;
let dynamo: TestLedger;
let browser: TestBrowser;
let web: LocalWebServer;
let ledger: Ledger;

const catalog = (() => {
  const result = parseCatalog({
    version: 1,
    services: [
      {
        name: 'greeter',
        mode: 'delivery',
        source: { repository: 'greeter' },
        runtime: { entry: 'src/handler.ts' },
        approval: { approvers: ['alice@example.com'] },
        readiness: { minCleanReleases: 3 },
      },
      {
        name: 'checkout',
        mode: 'deployment',
        source: { repository: 'checkout' },
        runtime: { entry: 'src/handler.ts' },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.catalog;
})();

/** A finished release `daysAgo` days ago: committed 2 h before it went live, its deploy taking 10 minutes. */
async function seed(service: string, n: number, daysAgo: number, status: ReleaseStatus): Promise<void> {
  const end = Date.now() - daysAgo * 24 * HOUR;
  const iso = (ms: number) => new Date(ms).toISOString();
  const mode = service === 'greeter' ? 'delivery' : 'deployment';
  await ledger.startRelease({
    releaseId: `${service}-${n}`,
    service,
    mode,
    commit: {
      sha: `${n}`.padEnd(40, 'f'),
      author: 'dev@example.com',
      message: `change ${n}`,
      time: iso(end - 2 * HOUR),
    },
    startedAt: iso(end - HOUR),
    trigger: { source: 'manual' },
  });
  if (mode === 'delivery') {
    await ledger.recordStage(`${service}-${n}`, 'Approval', {
      status: 'succeeded',
      startedAt: iso(end - 50 * 60_000),
      endedAt: iso(end - 10 * 60_000),
      durationMs: 40 * 60_000,
    });
  }
  await ledger.recordStage(`${service}-${n}`, 'Deploy', {
    status: status === 'succeeded' ? 'succeeded' : 'failed',
    startedAt: iso(end - 10 * 60_000),
    endedAt: iso(end),
    durationMs: 10 * 60_000,
  });
  await ledger.finishRelease(`${service}-${n}`, service, { status, stage: 'Deploy', endedAt: iso(end) });
}

beforeAll(async () => {
  [dynamo, browser] = await Promise.all([startTestLedger(), startBrowser()]);
  ledger = await dynamo.newLedger();
  const history: [string, number, ReleaseStatus][] = [
    ['greeter', 20, 'succeeded'],
    ['greeter', 12, 'succeeded'],
    ['greeter', 5, 'succeeded'],
    ['greeter', 1, 'succeeded'],
    ['checkout', 25, 'succeeded'],
    ['checkout', 18, 'rolled_back'],
    ['checkout', 17, 'succeeded'],
    ['checkout', 9, 'succeeded'],
    ['checkout', 2, 'succeeded'],
  ];
  let n = 0;
  for (const [service, daysAgo, status] of history) await seed(service, ++n, daysAgo, status);
  await ledger.putApproval({
    approvalId: 'pending-1',
    releaseId: 'greeter-99',
    service: 'greeter',
    approvers: ['alice@example.com'],
    required: 1,
    status: 'pending',
    requestedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 72 * HOUR).toISOString(),
    taskToken: 'token-never-shown',
    details: [],
  });
  web = await LocalWebServer.start({ port: 0, ledger, catalog });
}, 120_000);

afterAll(async () => {
  await web?.close();
  await browser?.close();
  await dynamo?.stop();
});

/** Share of an element's screenshot pixels that are neither white nor grey: ink from the coloured series. */
async function colouredShare(page: Page, selector: string): Promise<number> {
  const png = await page.locator(selector).screenshot();
  // Runs in the page (the test's TypeScript has no DOM types): decode the PNG there and count its pixels.
  const inPage = `(async (dataUrl) => {
    const img = new Image();
    img.src = dataUrl;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const { data } = context.getImageData(0, 0, img.width, img.height);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) coloured++;
    }
    return coloured / (data.length / 4);
  })(${JSON.stringify(`data:image/png;base64,${png.toString('base64')}`)})`;
  return (await page.evaluate(inPage)) as number;
}

describe('status page', () => {
  it('draws DORA charts from the ledger, per service and overall', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${web.url}/?since=30d`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // 9 releases over 10 buckets of 3 days: bars in several buckets for the overall deployments chart.
    const overallBars = page.locator('#overall-charts svg[aria-label="Deployments"] rect.datapoint');
    expect(await overallBars.count()).toBeGreaterThanOrEqual(5);
    const heights = await overallBars.evaluateAll((bars) =>
      bars.map((b) => b.getBoundingClientRect().height),
    );
    expect(Math.max(...heights)).toBeGreaterThan(10);
    // The pixels carry the data: the charts are mostly drawn in colour, an empty chart is not.
    expect(await colouredShare(page, '#overall-charts svg[aria-label="Deployments"]')).toBeGreaterThan(0.03);
    expect(
      await colouredShare(page, '#checkout-charts svg[aria-label="Change failure rate (%)"]'),
    ).toBeGreaterThan(0.002);
    expect(
      await page.locator('#greeter-charts svg[aria-label="Time to restore (median)"]').textContent(),
    ).toContain('no data yet');
    await page.close();
  });

  it('shows modes, readiness with its evidence, the recommendation and pending approvals', async () => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    const greeter = page.locator('#service-greeter');
    await expect.poll(() => greeter.locator('.mode').textContent()).toBe('delivery');
    const readiness = await greeter.locator('.readiness').textContent();
    expect(readiness).toContain('100/100');
    expect(readiness).toContain('4 clean production releases in a row (needs 3)');
    expect(await greeter.locator('.recommendation').textContent()).toContain(
      'ready for continuous deployment',
    );
    expect(await greeter.locator('.pending').textContent()).toContain('greeter-99');
    expect(await page.content()).not.toContain('token-never-shown');
    const checkoutText = await page.locator('#service-checkout').textContent();
    expect(checkoutText).toContain('change failure rate 20%');
    expect(checkoutText).toContain('rolled_back');
    await page.close();
  });

  it('serves the same data as JSON, and refuses a period it cannot read', async () => {
    const report = (await (
      await fetch(`${web.url}/api/status?since=30d&service=checkout`)
    ).json()) as StatusReport;
    expect(report.services.map((s) => s.name)).toEqual(['checkout']);
    expect(report.dora.byService.checkout).toMatchObject({
      deployments: 4,
      productionReleases: 5,
      failedProductionReleases: 1,
    });
    const bad = await fetch(`${web.url}/api/status?since=a+month`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Cannot read the duration "a month"');
    const unknown = await fetch(`${web.url}/api/status?service=nope`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('known services: greeter, checkout');
  });
});
