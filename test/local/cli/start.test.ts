import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../../support/test-temp-dir';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

describe('sluice start (npm start)', () => {
  it('runs both models end to end without a terminal, approving through the page, and exits 0', async () => {
    const dir = testTempDir('start-');
    const stateDir = join(dir, 'demo');
    const { stdout } = await run(process.execPath, ['bin/sluice.js', 'start', '--state-dir', stateDir], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
      timeout: 170_000,
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(stdout).toMatch(
      /Approval page \(signed, single use, expiring link\): http:\/\/127\.0\.0\.1:\d+\/approvals\//,
    );
    expect(stdout).toContain('approving through that same page');
    // Later releases start from a commit: the git watcher sees the push and the router starts the release.
    expect(stdout).toMatch(
      /⇡ committed checkout-v2 to checkout \(\w{12}\); waiting for the watcher and router/,
    );
    expect(stdout).toMatch(/push to checkout main: \w{12} → \w{12}/);
    expect(stdout).toMatch(/▶ deployment, green canary: checkout-\w{12} started/);
    // The email from the outbox and the Slack post with its buttons.
    expect(stdout).toMatch(/│ Subject: Approve greeter greeter-[0-9a-f]{12}\?/);
    expect(stdout).toMatch(
      /Slack post: Approve greeter release greeter-[0-9a-f]{12}\?\n\s+buttons: \[Approve\] \[Reject\]/,
    );
    expect(stdout).toMatch(/alarm sluice-checkout-error-rate fired/);
    expect(stdout).toMatch(/rollback: \d+ ms from the first failing request/);
    // The template's alarm, pointed at the canary by Deploy, is what rolled it back.
    expect(stdout).toMatch(
      /rolled back by sluice-checkout-[a-z0-9-]+ \(the stack's alarm definition\), judging version \d+:/,
    );
    for (const scenario of [
      /✔\s+deployment, first release\s+checkout\s+deployment\s+\w{8}\s+succeeded\s+Deploy\s+1\s+9\s/,
      /✔\s+delivery, approved\s+greeter\s+delivery\s+\w{8}\s+succeeded\s+Deploy\s+1\s+12\s/,
      /✔\s+tests fail\s+greeter\s+delivery\s+\w{8}\s+failed\s+Test\s/,
      /✔\s+deployment, green canary\s+checkout\s+deployment\s+\w{8}\s+succeeded\s+Deploy\s+1\s+9\s/,
      /✔\s+deployment, bad commit\s+checkout\s+deployment\s+\w{8}\s+rolled_back\s+Deploy\s/,
      /✔\s+events, first release\s+order-events\s+deployment\s+\w{8}\s+succeeded\s+Deploy\s+1\s+9\s/,
      /✔\s+events, green canary\s+order-events\s+deployment\s+\w{8}\s+succeeded\s+Deploy\s+1\s+9\s/,
    ]) {
      expect(stdout).toMatch(scenario);
    }
    // order-events has npm dependencies: a registry on 127.0.0.1 filled from npm's cache, then the real npm ci at
    // Build (production dependencies) and at Test (vitest too), and an SQS-batch canary.
    expect(stdout).toMatch(
      /📦 npm registry http:\/\/127\.0\.0\.1:\d+\/ \(verdaccio, no uplink\): (published \d+ of|all) 5\d packages/,
    );
    expect(stdout).toMatch(/events, first release: .*Build [\d.]+s · Test [\d.]+s/);
    expect(stdout).toMatch(
      /events, green canary: .*\n\s+baseline: canary v2 \d+ requests, 0% failed, p99 \d+ ms vs previous v1 \d+ requests/,
    );
    expect(stdout).toContain('Time per stage:');
    // The summary names the alarm and the version it judged, under the bad commit.
    expect(stdout).toMatch(
      /deployment, bad commit: .*\n\s+reason: .*\n\s+alarm: sluice-checkout-[a-z0-9-]+, judging version \d+/,
    );
    // …and each canary's baseline: both versions over the bake, from the local CloudWatch's metrics.
    expect(stdout).toMatch(
      /deployment, green canary: .*\n\s+baseline: canary v\d+ \d+ requests, 0% failed, p99 \d+ ms vs previous v\d+ \d+ requests/,
    );
    expect(stdout).toMatch(
      /deployment, bad commit: .*(\n\s+\w+: .*)*\n\s+baseline: canary v\d+ \d+ requests, [\d.]+% failed/,
    );
    expect(stdout).toContain('✔ Every release ended as expected');
  }, 180_000);
});
