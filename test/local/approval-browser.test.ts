/**
 * The approval page in a real browser (Debian Chromium via playwright-core) against the local runtime: open
 * a link, read what is being approved, approve; a second use is refused; an expired and a superseded link say
 * so; a plain GET, as a mail scanner does, changes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLink } from '../../lambdas/core/approval-links';
import type { ApprovalRecord } from '../../lambdas/ledger/ledger';
import { seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice } from '../../local/runtime';
import { startBrowser, type TestBrowser } from '../support/browser';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

let sluice: LocalSluice;
let browser: TestBrowser;
let sha = '';

beforeAll(async () => {
  const root = testTempDir('browser-');
  const reposDir = join(root, 'repos');
  sha = (await seedRepository(reposDir, 'greeter')).sha;
  const catalogFile = join(root, 'sluice.catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        {
          name: 'greeter',
          mode: 'delivery',
          source: { repository: 'greeter' },
          runtime: { entry: 'src/handler.ts' },
          approval: { approvers: ['alice@example.com', 'bob@example.com'] },
          deploy: { strategy: 'AllAtOnce' },
        },
      ],
    }),
  );
  [sluice, browser] = await Promise.all([
    startLocalSluice({ catalogFile, stateDir: join(root, 'state'), reposDir }),
    startBrowser(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sluice?.close();
});

/** An approval in a closed state, with a valid signed link for alice (as RequestApproval would have sent). */
async function closedApprovalLink(overrides: Partial<ApprovalRecord>): Promise<string> {
  const approvalId = `browser-${Math.random().toString(36).slice(2, 14)}`;
  const expiresAt = new Date(Date.now() + 3_600_000);
  await sluice.ledger.putApproval({
    approvalId,
    releaseId: 'greeter-000000000000',
    service: 'greeter',
    approvers: ['alice@example.com', 'bob@example.com'],
    required: 1,
    status: 'pending',
    requestedAt: new Date().toISOString(),
    expiresAt: expiresAt.toISOString(),
    taskToken: 'local-task-none',
    details: ['Service: greeter (delivery)'],
    ...overrides,
  });
  return approvalLink(sluice.web.url, await sluice.ports.signingKeys.signingKey(), {
    approvalId,
    approverIndex: 0,
    expiresAt: Math.floor(expiresAt.getTime() / 1000),
  });
}

describe('the approval page in Chromium', () => {
  it('shows what is being approved, changes nothing on GET, approves on the form, and refuses a second use', async () => {
    const started = await sluice.release({ service: 'greeter', commit: sha });
    const { link, approver } = await sluice.waitForApprovalLink(started.releaseId);
    const approvalId = new URL(link).pathname.split('/').pop() as string;

    // A mail scanner's plain GET (no browser, no form) changes nothing.
    expect((await fetch(link)).status).toBe(200);
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('pending');

    const page = await browser.context.newPage();
    await page.goto(link);
    await expect(page.locator('h1').textContent()).resolves.toContain(
      `Release ${started.releaseId} of greeter`,
    );
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain(`signed in by this link as ${approver}`);
    expect(body).toMatch(/Commit: [0-9a-f]{12} by Dana Developer <dana@example.com>: Initial greeter/);
    expect(body).toMatch(/Tests: \d+ passed, 0 failed/);
    expect(body).toMatch(/Staging: version .* smoke GET \/ → 200/);
    expect(body).toContain('Waiting for 1 approval. Expires');
    expect(body).toContain('None yet.');
    expect((await sluice.ledger.getApproval(approvalId))?.status).toBe('pending');

    await page.fill('#comment', 'ship it');
    const submitted = page.waitForRequest((r) => r.method() === 'POST');
    await page.click('button[value=approve]');
    const sent = await submitted;
    await page.waitForSelector('#status');
    await expect(page.locator('#status').textContent()).resolves.toContain(`Approved by ${approver}`);
    const report = await started.done;
    expect(report.status).toBe('succeeded');
    const audit = await sluice.ledger.listAudit(approvalId);
    expect(audit.find((a) => a.kind === 'voted')?.userAgent).toMatch(/Chrome/);

    // The same link again: it shows the outcome and offers no form.
    await page.goto(link);
    await expect(page.locator('#status').textContent()).resolves.toContain('approved');
    expect(await page.locator('form').count()).toBe(0);
    // Replaying the very POST the browser sent is refused and changes nothing.
    const replay = await page.request.post(sent.url(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      data: sent.postData() ?? '',
    });
    expect(replay.status()).toBe(409);
    expect(await replay.text()).toContain('already approved');
    expect((await sluice.ledger.getApproval(approvalId))?.decidedBy).toBe(approver);
    await page.close();
  });

  it('shows an expired link as expired', async () => {
    const link = await closedApprovalLink({
      status: 'expired',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const page = await browser.context.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(410);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/expired at .*not deployed/);
    expect(await page.locator('form').count()).toBe(0);
    await page.close();
  });

  it('shows a superseded link with the release that superseded it', async () => {
    const link = await closedApprovalLink({ status: 'superseded', supersededBy: 'greeter-0123456789ab' });
    const page = await browser.context.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(410);
    await expect(page.locator('#superseded-by').textContent()).resolves.toBe('greeter-0123456789ab');
    expect(await page.locator('form').count()).toBe(0);
    await page.close();
  });
});
