/**
 * The local ledger lives in the state folder (DynamoDB Local's -dbPath): a runtime started again on the same
 * folder sees the earlier runs' releases and closes what they left open; `fresh` starts clean.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lambdas/core/catalog/validate';
import type { ServiceConfig } from '../../lambdas/core/model';
import type { CfnTemplate } from '../../local/definition';
import { ensureTableFromTemplate } from '../../local/dynamodb-local';
import { LocalSluice } from '../../local/runtime';
import { sharedDynamoDbClient, sharedPipelineTemplate, uniqueTableName } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const root = testTempDir('history-');

const CATALOG = {
  version: 1,
  services: [
    {
      name: 'checkout',
      mode: 'deployment',
      source: { repository: 'checkout' },
      runtime: { entry: 'src/handler.ts' },
    },
  ],
};
const parsed = parseCatalog(CATALOG);
if (!parsed.ok) throw new Error('the test catalog is invalid');
const checkout = parsed.catalog.services[0] as ServiceConfig;

const at = '2026-03-02T10:00:00.000Z';
const commit = (sha: string) => ({ sha, author: 'dana@example.com', message: 'change', time: at });
const release = (releaseId: string, sha: string) => ({
  releaseId,
  service: 'checkout',
  mode: 'deployment' as const,
  commit: commit(sha),
  startedAt: at,
  trigger: { source: 'manual' as const },
});

function ledgerTable(template: CfnTemplate): Record<string, unknown> {
  const table = Object.values(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table');
  if (!table?.Properties) throw new Error('the pipeline template has no ledger table');
  return table.Properties;
}

describe('the local ledger in the state folder', () => {
  it('spans runtimes on one state folder, ends what a stopped runtime left open, and fresh starts clean', async () => {
    const catalogFile = join(root, 'sluice.catalog.json');
    writeFileSync(catalogFile, JSON.stringify(CATALOG));
    const stateDir = join(root, 'state');
    const template = await sharedPipelineTemplate();
    const logs: string[] = [];
    // Its own DynamoDB Local (the point is its database folder); no service stacks: nothing is deployed.
    const start = (fresh: boolean) =>
      LocalSluice.start({
        catalogFile,
        stateDir,
        template,
        serviceTemplates: new Map(),
        fresh,
        log: (line) => logs.push(line),
      });

    const first = await start(false);
    try {
      await first.ledger.startRelease(release('checkout-aaaaaaaaaaaa', 'a'.repeat(40)));
      await first.ledger.finishRelease('checkout-aaaaaaaaaaaa', 'checkout', {
        status: 'succeeded',
        stage: 'Deploy',
        endedAt: at,
      });
      // A release still deploying when the runtime stops: it holds the lock, another one waits for it.
      await first.ledger.startRelease(release('checkout-bbbbbbbbbbbb', 'b'.repeat(40)));
      await first.ledger.recordStage('checkout-bbbbbbbbbbbb', 'LoadService', {
        status: 'succeeded',
        startedAt: at,
        endedAt: at,
        durationMs: 1,
      });
      for (const id of ['checkout-bbbbbbbbbbbb', 'checkout-cccccccccccc']) {
        await first.ledger.acquireDeployLock('checkout', {
          releaseId: id,
          taskToken: `token-${id}`,
          config: checkout,
          version: '2',
          queuedAt: at,
        });
      }
      expect((await first.ledger.getServiceState('checkout'))?.deployQueue).toHaveLength(1);
      // Another one waiting at its gate (a request is pending for it).
      await first.ledger.startRelease(release('checkout-dddddddddddd', 'd'.repeat(40)));
      await first.ledger.putApproval({
        approvalId: 'a-interrupted',
        releaseId: 'checkout-dddddddddddd',
        service: 'checkout',
        approvers: ['alice@example.com'],
        required: 1,
        status: 'pending',
        requestedAt: at,
        expiresAt: '2026-03-05T10:00:00.000Z',
        taskToken: 'token-a-interrupted',
        details: [],
      });
    } finally {
      await first.close();
    }

    const second = await start(false);
    try {
      expect((await second.ledger.getRelease('checkout-aaaaaaaaaaaa'))?.status).toBe('succeeded');
      // Ended as an ABORTED execution is in AWS (execution-events): aborted, at its stage, with why.
      const interrupted = await second.ledger.getRelease('checkout-bbbbbbbbbbbb');
      expect(interrupted?.outcome).toMatchObject({ status: 'aborted', stage: 'Build' });
      expect(interrupted?.outcome?.reason).toBe(
        'The execution was stopped before its outcome was recorded (The local runtime stopped while this release ' +
          'ran; its execution ended with that process.)',
      );
      // Its pending approval closed as aborted, with the same reason for its links, and audited.
      const atGate = await second.ledger.getRelease('checkout-dddddddddddd');
      expect(atGate?.status).toBe('aborted');
      expect(await second.ledger.getApproval('a-interrupted')).toMatchObject({
        status: 'aborted',
        comment: atGate?.outcome?.reason,
      });
      expect((await second.ledger.listAudit('a-interrupted')).map((a) => a.kind)).toEqual(['aborted']);
      const state = await second.ledger.getServiceState('checkout');
      expect(state?.lockHolder).toBeUndefined();
      expect(state?.deployQueue ?? []).toEqual([]);
      expect(logs.join('\n')).toMatch(
        /Ledger kept from earlier runs; ended interrupted .*checkout-bbbbbbbbbbbb/,
      );
      // The execution name is taken, as in Step Functions: a start of it reports the earlier release.
      const again = await second.startExecution({
        releaseId: 'checkout-aaaaaaaaaaaa',
        service: 'checkout',
        commit: 'a'.repeat(40),
        trigger: { source: 'manual' },
      });
      expect(again.duplicate).toBe(true);
      expect(await again.done).toMatchObject({ status: 'succeeded', endedAt: 'Deploy', transitions: 0 });
    } finally {
      await second.close();
    }

    const fresh = await start(true);
    try {
      expect(await fresh.ledger.getRelease('checkout-aaaaaaaaaaaa')).toBeUndefined();
      expect(await fresh.ledger.listReleases('checkout')).toEqual([]);
    } finally {
      await fresh.close();
    }
  }, 120_000);

  it('creates the table when absent, keeps it and its items when present, and drops it when fresh', async () => {
    const client = await sharedDynamoDbClient();
    try {
      const properties = ledgerTable(await sharedPipelineTemplate());
      const tableName = uniqueTableName('history');
      expect(await ensureTableFromTemplate(client, tableName, properties)).toBe('created');
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: { PK: { S: 'X' }, SK: { S: 'Y' } } }),
      );
      const item = async () =>
        (
          await client.send(
            new GetItemCommand({ TableName: tableName, Key: { PK: { S: 'X' }, SK: { S: 'Y' } } }),
          )
        ).Item;
      expect(await ensureTableFromTemplate(client, tableName, properties)).toBe('kept');
      expect(await item()).toBeDefined();
      expect(await ensureTableFromTemplate(client, tableName, properties, { fresh: true })).toBe('created');
      expect(await item()).toBeUndefined();
    } finally {
      client.destroy();
    }
  });
});
