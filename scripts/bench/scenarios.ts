/**
 * Real releases of the example services on the local runtime (the demo's scenarios, one after another), with
 * every handler invocation timed and the DynamoDB capacity and CloudWatch requests it used attributed to it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { releaseIdOf } from '../../lambdas/core/push-routing';
import { signatureOf } from '../../lambdas/github-webhook/github-webhook';
import type { HandlerName } from '../../lambdas/runtime/env';
import { decideViaPage } from '../../local/approve-via-page';
import { commitOverlay, seedRepository } from '../../local/demo/git-fixtures';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { LocalGitWatcher } from '../../local/git-watcher';
import type { LambdaHandler } from '../../local/handlers';
import { LocalSluice, type ReleaseReport, type ReleaseRun } from '../../local/runtime';
import type { InvocationSample, ScenarioKey } from './report';

interface Tally {
  writes: number;
  reads: number;
  cloudWatch: number;
}

/** The invocation a DynamoDB request or alarm check belongs to. */
const current = new AsyncLocalStorage<Tally>();

const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);
const ITEM_COMMANDS = new Set([
  ...READS,
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

type Capacity = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
const unitsOf = (c: Capacity) =>
  (Array.isArray(c) ? c : c ? [c] : []).reduce((sum, x) => sum + (x.CapacityUnits ?? 0), 0);

/**
 * Asks DynamoDB Local for the capacity every item request consumes and adds it to the running invocation.
 * DynamoDB Local does not double transactional requests as DynamoDB bills them, so this does; a write refused
 * by its condition still costs DynamoDB a write unit.
 */
function meterDynamoDb(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (!ITEM_COMMANDS.has(command)) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const tally = current.getStore();
      const factor = command.startsWith('Transact') ? 2 : 1;
      const add = (units: number) => {
        if (!tally) return;
        if (READS.has(command)) tally.reads += units * factor;
        else tally.writes += units * factor;
      };
      try {
        const result = await next(args);
        add(unitsOf((result.output as { ConsumedCapacity?: Capacity }).ConsumedCapacity));
        return result;
      } catch (error) {
        if (!READS.has(command)) add(1);
        throw error;
      }
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
}

export interface ScenarioRun {
  readonly key: ScenarioKey;
  readonly report: ReleaseReport;
  readonly samples: readonly InvocationSample[];
  readonly wallMs: number;
}

export interface ScenarioResults {
  readonly runs: Readonly<Record<ScenarioKey, ScenarioRun>>;
  /** Every invocation, the scenarios' and the extra ones (a GitHub delivery, an approval's expiry). */
  readonly samples: readonly InvocationSample[];
  readonly rollback: { readonly ms?: number; readonly periodMs: number; readonly alarm?: string };
}

export interface ScenarioOptions {
  readonly catalogFile: string;
  readonly stateDir: string;
  readonly timeScale: number;
  readonly progress: (line: string) => void;
  /**
   * Whether AWS would invoke `handler` with `event`: the local runtime passes it every event, where an
   * EventBridge rule in AWS delivers only those its pattern matches. @default - every invocation counts
   */
  readonly delivered?: (handler: string, event: unknown) => boolean;
}

export async function runScenarios(options: ScenarioOptions): Promise<ScenarioResults> {
  const { progress } = options;
  const reposDir = join(options.stateDir, 'repos');
  const greeter = await seedRepository(reposDir, 'greeter');
  const checkout = await seedRepository(reposDir, 'checkout');

  let samples: InvocationSample[] = [];
  const all: InvocationSample[] = [];
  const record = (sample: InvocationSample) => {
    samples.push(sample);
    all.push(sample);
  };
  // Every invocation the runtime makes goes through its handlers (Task states, events, web server, bus).
  const wrapHandler = (name: HandlerName, handler: LambdaHandler): LambdaHandler =>
    (async (event, context) => {
      const tally: Tally = { writes: 0, reads: 0, cloudWatch: 0 };
      const started = performance.now();
      try {
        return await current.run(tally, () => handler(event, context));
      } finally {
        if (options.delivered?.(name, event) ?? true) {
          record({
            handler: name,
            ms: performance.now() - started,
            dynamoDbWriteUnits: tally.writes,
            dynamoDbReadUnits: tally.reads,
            cloudWatchRequests: tally.cloudWatch,
          });
        }
      }
    }) as LambdaHandler;

  // The benchmark's own DynamoDB Local, metered, given to the runtime for its ledger.
  const dynamo = await startDynamoDbLocal();
  meterDynamoDb(dynamo.client);
  const sluice = await LocalSluice.start({
    catalogFile: options.catalogFile,
    stateDir: options.stateDir,
    reposDir,
    timeScale: options.timeScale,
    dynamoDb: { client: dynamo.client, tableName: 'sluice-bench-ledger' },
    wrapHandler,
    log: (line) => progress(`  · ${line}`),
  }).catch(async (error: unknown) => {
    await dynamo.stop();
    throw error;
  });
  const watcher = await LocalGitWatcher.start({
    catalog: sluice.catalog,
    source: sluice.source,
    bus: sluice.bus,
    intervalMs: 250,
  }).catch(async (error: unknown) => {
    await sluice.close();
    await dynamo.stop();
    throw error;
  });
  try {
    const target = sluice.deployTarget;
    const inAlarm = target.inAlarm.bind(target);
    // CloudWatchServiceAlarms makes one DescribeAlarms request per check.
    target.inAlarm = async (service) => {
      const tally = current.getStore();
      if (tally) tally.cloudWatch++;
      return inAlarm(service);
    };

    const byPush = (service: string, repo: string, overlay: string) => async (): Promise<ReleaseRun> => {
      const sha = await commitOverlay(repo, overlay);
      return sluice.waitForExecution(releaseIdOf(service, sha), 60_000);
    };
    const byHand = (service: string, commit: string) => () =>
      sluice.release({ service, commit, trigger: { source: 'demo', actor: 'bench@example.com' } });
    const measure = async (
      label: string,
      start: () => Promise<ReleaseRun>,
      during?: (releaseId: string) => Promise<void>,
    ): Promise<{ report: ReleaseReport; samples: InvocationSample[]; wallMs: number }> => {
      progress(`▶ ${label}`);
      samples = [];
      const started = performance.now();
      const run = await start();
      const [report] = await Promise.all([run.done, during?.(run.releaseId)]);
      const wallMs = performance.now() - started;
      progress(
        `  ${report.status} at ${report.endedAt}, ${report.transitions} transitions, ${(wallMs / 1000).toFixed(1)} s`,
      );
      return { report, samples, wallMs };
    };

    // Not measured: the first release of checkout deploys all at once, so the next one can run a canary.
    await measure('checkout, first release (warm-up)', byHand('checkout', checkout.sha));
    const green = await measure('green deployment', byPush('checkout', checkout.repo, 'checkout-v2'));
    const bad = await measure('rolled back', byPush('checkout', checkout.repo, 'checkout-bad'));
    let approvalId: string | undefined;
    const approved = await measure('approved delivery', byHand('greeter', greeter.sha), async (releaseId) => {
      const { link } = await sluice.waitForApprovalLink(releaseId, 120_000);
      approvalId = new URL(link).pathname.split('/').pop();
      const result = await decideViaPage(link, { decision: 'approve', comment: 'Approved by the benchmark' });
      if (result.status !== 200) throw new Error(`The approval page answered ${result.status}`);
    });
    if (approvalId) {
      // Its expiry schedule fires days later, decided or not, and invokes approval-expiry: part of this release.
      samples = approved.samples;
      await sluice.handlers.invoke('approval-expiry', { approvalId }, 30_000);
    }
    const failed = await measure('tests fail', byPush('greeter', greeter.repo, 'greeter-failing-tests'));

    samples = [];
    progress('▶ a signed GitHub delivery for a repository no service tracks (times the webhook)');
    await githubDelivery(sluice);

    const deploymentId = bad.report.record?.deploymentId;
    const canary = deploymentId ? target.deploymentReport(deploymentId) : undefined;
    const run = (key: ScenarioKey, m: typeof green): ScenarioRun => ({ key, ...m });
    return {
      runs: {
        greenDeployment: run('greenDeployment', green),
        approvedDelivery: run('approvedDelivery', approved),
        rolledBack: run('rolledBack', bad),
        testFailed: run('testFailed', failed),
      },
      samples: all,
      rollback: {
        ...(canary?.detectToRollbackMs !== undefined ? { ms: canary.detectToRollbackMs } : {}),
        periodMs: canary?.minuteMs ?? 60_000 / options.timeScale,
        ...(canary?.alarm ? { alarm: canary.alarm } : {}),
      },
    };
  } finally {
    await watcher.close();
    await sluice.close();
    await dynamo.stop();
  }
}

/** A push to a repository no service tracks, signed as GitHub signs it: the webhook accepts it, the router ignores it. */
async function githubDelivery(sluice: LocalSluice): Promise<void> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: '1'.repeat(40),
    repository: { full_name: 'bench/untracked' },
    pusher: { name: 'bench' },
    commits: [{ added: ['README.md'] }],
  });
  const secret = await sluice.ports.webhookSecret?.signingKey();
  if (!secret) throw new Error('The local runtime has no webhook secret');
  const response = await fetch(`${sluice.web.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': signatureOf(secret, body),
    },
    body,
  });
  if (response.status !== 202) throw new Error(`The webhook answered ${response.status}`);
}
