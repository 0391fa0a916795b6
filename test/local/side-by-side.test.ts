/**
 * Two local runtimes in one process, side by side: each builds its handlers on its own ports (no process-wide
 * registry), so each one's releases reach only its own ledger and outbox, and closing one leaves the other
 * working.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideViaPage } from '../../local/approve-via-page';
import { seedRepository } from '../../local/demo/git-fixtures';
import type { LocalSluice } from '../../local/runtime';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const root = testTempDir('side-by-side-');
const started: LocalSluice[] = [];
afterAll(async () => {
  for (const sluice of started) await sluice.close();
});

/** Every message in the outbox of the runtime named `name`. */
function outboxOf(name: string): string {
  const dir = join(root, name, 'state', 'outbox');
  return readdirSync(dir)
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n');
}

/** A runtime whose catalog has one delivery service, `name`, built from the example greeter. */
async function runtimeFor(name: string): Promise<LocalSluice> {
  const dir = join(root, name);
  const reposDir = join(dir, 'repos');
  await seedRepository(reposDir, 'greeter');
  const catalogFile = join(dir, 'sluice.catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        {
          name,
          mode: 'delivery',
          source: { repository: 'greeter' },
          runtime: { entry: 'src/handler.ts' },
          approval: { approvers: ['alice@example.com'] },
          deploy: { strategy: 'AllAtOnce' },
        },
      ],
    }),
  );
  const sluice = await startLocalSluice({
    catalogFile,
    stateDir: join(dir, 'state'),
    reposDir,
    // No canary here: the service stacks' alarms are not needed.
    serviceTemplates: new Map(),
  });
  started.push(sluice);
  return sluice;
}

describe('two local runtimes in one process', () => {
  it('keep their releases apart, and one keeps working after the other closes', async () => {
    const [left, right] = await Promise.all([runtimeFor('left'), runtimeFor('right')]);
    const [leftRun, rightRun] = await Promise.all([
      left.release({ service: 'left' }),
      right.release({ service: 'right' }),
    ]);
    const [leftLink, rightLink] = await Promise.all([
      left.waitForApprovalLink(leftRun.releaseId, 120_000),
      right.waitForApprovalLink(rightRun.releaseId, 120_000),
    ]);

    // Each approval request went to its own runtime's outbox and page, each release to its own ledger.
    expect(new URL(leftLink.link).origin).toBe(left.web.url);
    expect(new URL(rightLink.link).origin).toBe(right.web.url);
    expect(outboxOf('left')).toContain(`Subject: Approve left ${leftRun.releaseId}?`);
    expect(outboxOf('left')).not.toContain(rightRun.releaseId);
    expect(outboxOf('right')).toContain(`Subject: Approve right ${rightRun.releaseId}?`);
    expect(outboxOf('right')).not.toContain(leftRun.releaseId);
    expect((await left.ledger.listReleases('left')).map((r) => r.releaseId)).toEqual([leftRun.releaseId]);
    expect(await left.ledger.listReleases('right')).toEqual([]);
    expect((await right.ledger.listReleases('right')).map((r) => r.releaseId)).toEqual([rightRun.releaseId]);
    expect(await right.ledger.listReleases('left')).toEqual([]);

    // Closing one runtime takes nothing from the other: its page, handlers and ports still decide and deploy.
    await left.close();
    const decided = await decideViaPage(rightLink.link, { decision: 'approve', comment: 'still here' });
    expect(decided.status).toBe(200);
    const report = await rightRun.done;
    expect(report).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect((await right.ledger.getRelease(rightRun.releaseId))?.outcome?.status).toBe('succeeded');
  }, 240_000);
});
