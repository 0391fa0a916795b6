/**
 * `npm start`: real releases of the example services on this machine, both models end to end.
 *   greeter      (delivery):   approved through the approval page → deployed; then a commit whose tests fail.
 *   checkout     (deployment): first release; a green canary; a bad commit → alarm → automatic rollback.
 *   order-events (deployment): an SQS consumer with npm dependencies, installed by `npm ci` from a registry on
 *                              127.0.0.1 (demo-registry.ts); first release; a green canary fed SQS batches.
 * The first release of each service is started by hand (as `sluice release` does); every later one starts the
 * way it does in AWS: the demo commits, the git watcher sees the push, and the router handler starts it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { requireCatalogFile } from '../../lambdas/core/catalog/load';
import type { ReleaseStatus, StageName } from '../../lambdas/core/model';
import { releaseIdOf } from '../../lambdas/core/push-routing';
import { decideViaPage } from '../approve-via-page';
import { dimensionValue } from '../aws/cloudwatch/alarm-definition';
import { LocalGitWatcher } from '../git-watcher';
import { LEDGER_DIR } from '../history';
import { LocalSluice, type ReleaseReport, type ReleaseRun } from '../runtime';
import { formatCosts, formatMetrics } from '../status/format';
import { collectStatus } from '../status/status';
import { cleanDemoState, type DemoRegistry, startDemoRegistry } from './demo-registry';
import { commitOverlay, seedRepository } from './git-fixtures';
import { SlackReceiver } from './slack-receiver';
import { formatSummary, type SummaryRow } from './summary';

export interface DemoOptions {
  readonly catalogFile: string;
  readonly stateDir: string;
  /** @default 60 (a 5-minute canary bakes for 5 s) */
  readonly timeScale?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** A person decides at the terminal; otherwise the demo approves through the page's form and says so. */
  readonly interactive: boolean;
  readonly out?: (line: string) => void;
  /**
   * After the demo, keep the runtime up (ledger, deploy target, pages) until this resolves, so that
   * `npx sluice rollback` can talk to it. @default - close at once
   */
  readonly stayUntil?: () => Promise<void>;
}

interface Expectation {
  readonly status: ReleaseStatus;
  readonly stage: StageName;
}

const GREETER = 'greeter';
const CHECKOUT = 'checkout';
const ORDER_EVENTS = 'order-events';
/** The releases the demo runs: the exit code is 0 only when all of them ended as expected. */
const SCENARIOS = 7;

function expectationMet(report: ReleaseReport, expected: Expectation): boolean {
  return report.status === expected.status && report.endedAt === expected.stage;
}

async function approveGreeter(sluice: LocalSluice, releaseId: string, options: DemoOptions): Promise<void> {
  const out = options.out ?? console.log;
  const { link, approver, file } = await sluice.waitForApprovalLink(releaseId, 120_000);
  out('');
  out(`  ✉  Approval requested for ${releaseId}. Email for ${approver} written to ${file}:`);
  for (const line of (await readFile(file, 'utf8')).trimEnd().split('\n')) out(`     │ ${line}`);
  out(`     Approval page (signed, single use, expiring link): ${link}`);
  if (options.interactive) {
    out(
      '     Open it in a browser and click Approve, or press Enter here to approve through the page for you.',
    );
    const approvalId = new URL(link).pathname.split('/').pop() ?? '';
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
    const pressedEnter = new Promise<'enter'>((done) => rl.once('line', () => done('enter')));
    const decided = (async () => {
      for (;;) {
        const approval = await sluice.ledger.getApproval(approvalId);
        if (approval && approval.status !== 'pending') return 'decided' as const;
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const first = await Promise.race([pressedEnter, decided]);
    rl.close();
    if (first === 'decided') {
      out('     Decision received from the approval page.');
      return;
    }
  } else {
    out(
      '     No terminal (CI or piped output): approving through that same page — GET the link, POST its form.',
    );
  }
  const result = await decideViaPage(link, { decision: 'approve', comment: 'Approved by the local demo' });
  if (result.status !== 200)
    throw new Error(`The approval page answered ${result.status}: ${result.body.slice(0, 300)}`);
  out(`     Approved as ${approver} through the page's form (HTTP ${result.status}).`);
}

/**
 * The alarm that stopped a release and the version it judged, as the local CloudWatch holds it: Deploy pointed it
 * at the canary before the traffic shift, from the same definition the stack creates it with.
 */
function judgedByOf(sluice: LocalSluice, report: ReleaseReport): SummaryRow['judgedBy'] {
  const alarm = report.record?.outcome?.alarm;
  if (!alarm) return undefined;
  const [described] = sluice.deployTarget.cloudWatch.describeAlarms({ names: [alarm] });
  const version = described && dimensionValue(described.definition, 'ExecutedVersion');
  return { alarm, version: version ?? '?' };
}

/** Runs the demo; resolves to the process exit code (0 only when every release ended as expected). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? console.log;
  const started = Date.now();
  const stateDir = resolve(options.stateDir);
  // A bad catalog is reported before anything is touched.
  requireCatalogFile(options.catalogFile);
  await cleanDemoState(stateDir);
  const reposDir = join(stateDir, 'repos');
  out(
    `Sluice local demo — state in ${stateDir} (every demo starts clean: new repositories, an empty ledger)`,
  );
  const greeterRepo = await seedRepository(reposDir, GREETER);
  const checkoutRepo = await seedRepository(reposDir, CHECKOUT);
  const eventsRepo = await seedRepository(reposDir, ORDER_EVENTS);
  out(`Seeded local git repositories for ${GREETER}, ${CHECKOUT} and ${ORDER_EVENTS} in ${reposDir}`);
  // order-events has npm dependencies: Build and Test install them with npm ci from this registry.
  const npm = await startDemoRegistry(stateDir, [join(eventsRepo.repo, 'package-lock.json')]);
  const previousRegistry = process.env.SLUICE_NPM_REGISTRY;
  process.env.SLUICE_NPM_REGISTRY = npm.registry.url;
  try {
    return await releaseAll(options, {
      stateDir,
      reposDir,
      started,
      npm,
      greeterRepo,
      checkoutRepo,
      eventsRepo,
    });
  } finally {
    if (previousRegistry === undefined) delete process.env.SLUICE_NPM_REGISTRY;
    else process.env.SLUICE_NPM_REGISTRY = previousRegistry;
    await npm.registry.close();
  }
}

interface Seeded {
  readonly stateDir: string;
  readonly reposDir: string;
  readonly started: number;
  readonly npm: DemoRegistry;
  readonly greeterRepo: { readonly repo: string; readonly sha: string };
  readonly checkoutRepo: { readonly repo: string; readonly sha: string };
  readonly eventsRepo: { readonly repo: string; readonly sha: string };
}

/** Prints how the registry was filled (or why it could not be) once the fill ends. */
async function registryFilled(npm: DemoRegistry, out: (line: string) => void): Promise<void> {
  const filled = await npm.filled;
  const total = filled.published.length + filled.present;
  out(
    filled.published.length > 0
      ? `  📦 npm registry ${npm.registry.url} (verdaccio, no uplink): published ${filled.published.length} of ${total} packages from npm's cache in ${(filled.ms / 1000).toFixed(1)} s`
      : `  📦 npm registry ${npm.registry.url} (verdaccio, no uplink): all ${total} packages already there (${(filled.ms / 1000).toFixed(1)} s)`,
  );
}

async function releaseAll(options: DemoOptions, seeded: Seeded): Promise<number> {
  const out = options.out ?? console.log;
  const { stateDir, reposDir, started, npm, greeterRepo, checkoutRepo, eventsRepo } = seeded;

  // Slack's incoming webhook, played by a receiver on 127.0.0.1 that prints each post.
  const slack = await SlackReceiver.start();
  slack.onPost((post) => {
    out(`  💬 Slack ${post.path === '/hook' ? 'post' : 'update'}: ${post.text}`);
    if (post.buttons.length) out(`     buttons: ${post.buttons.map((b) => `[${b}]`).join(' ')}`);
  });
  const sluice = await LocalSluice.start({
    catalogFile: options.catalogFile,
    stateDir,
    reposDir,
    slackWebhookUrl: `${slack.url}/hook`,
    timeScale: options.timeScale ?? 60,
    ...(options.port !== undefined ? { port: options.port } : {}),
    log: (line) => out(`  · ${line}`),
  });
  out(`Approval and status pages on ${sluice.web.url}  (time compressed ×${options.timeScale ?? 60})`);
  // Pushes to the tracked branches go to the same router handler the EventBridge rules invoke in AWS.
  const watcher = await LocalGitWatcher.start({
    catalog: sluice.catalog,
    source: sluice.source,
    bus: sluice.bus,
    intervalMs: 250,
    log: (line) => out(`  · ${line}`),
  });
  const rows: SummaryRow[] = [];
  /** Starts the release by hand (the first release of a service). */
  const byHand = (service: string, commit: string) => () =>
    sluice.release({ service, commit, trigger: { source: 'demo', actor: 'dana@example.com' } });
  /** Commits an overlay and waits for the router to start the release the push causes. */
  const byPush = (service: string, repo: string, overlay: string) => async () => {
    const sha = await commitOverlay(repo, overlay);
    out(`  ⇡ committed ${overlay} to ${service} (${sha.slice(0, 12)}); waiting for the watcher and router`);
    return sluice.waitForExecution(releaseIdOf(service, sha), 60_000);
  };
  const track = async (
    title: string,
    start: () => Promise<ReleaseRun>,
    expected: Expectation,
    during?: (id: string) => Promise<void>,
  ) => {
    const run = await start();
    out(`▶ ${title}: ${run.releaseId} started`);
    const [report] = await Promise.all([run.done, during?.(run.releaseId)]);
    const ok = expectationMet(report, expected);
    out(
      `${ok ? '✔' : '✘'} ${title}: ${report.status} at ${report.endedAt}${report.reason ? ` — ${report.reason.split('\n')[0]}` : ''}`,
    );
    const judgedBy = judgedByOf(sluice, report);
    rows.push({
      title,
      report,
      expected: `${expected.status} at ${expected.stage}`,
      ok,
      ...(judgedBy ? { judgedBy } : {}),
    });
    return report;
  };

  try {
    const delivery = (async () => {
      await track(
        'delivery, approved',
        byHand(GREETER, greeterRepo.sha),
        { status: 'succeeded', stage: 'Deploy' },
        (id) => approveGreeter(sluice, id, options),
      );
      await track('tests fail', byPush(GREETER, greeterRepo.repo, 'greeter-failing-tests'), {
        status: 'failed',
        stage: 'Test',
      });
    })();
    const deployment = (async () => {
      await track('deployment, first release', byHand(CHECKOUT, checkoutRepo.sha), {
        status: 'succeeded',
        stage: 'Deploy',
      });
      await track('deployment, green canary', byPush(CHECKOUT, checkoutRepo.repo, 'checkout-v2'), {
        status: 'succeeded',
        stage: 'Deploy',
      });
      const report = await track(
        'deployment, bad commit',
        byPush(CHECKOUT, checkoutRepo.repo, 'checkout-bad'),
        { status: 'rolled_back', stage: 'Deploy' },
      );
      const deploymentId = report.record?.deploymentId;
      const judgedBy = rows.at(-1)?.judgedBy;
      if (judgedBy) {
        out(
          `  ↺ rolled back by ${judgedBy.alarm} (the stack's alarm definition), judging version ${judgedBy.version}: the canary's own requests, not the alias's`,
        );
      }
      if (deploymentId) {
        const canary = sluice.deployTarget.deploymentReport(deploymentId);
        if (canary.detectToRollbackMs !== undefined) {
          out(
            `  ↺ rollback: ${canary.detectToRollbackMs} ms from the first failing request to the previous version serving 100% again`,
          );
        }
      }
      const live = await sluice.deployTarget.liveVersion(
        sluice.catalog.services.find((s) => s.name === CHECKOUT)!,
      );
      const state = await sluice.ledger.getServiceState(CHECKOUT);
      out(
        `  ↺ ${CHECKOUT} live version after rollback: ${live} (ledger says ${state?.liveVersion}, release ${state?.liveReleaseId})`,
      );
    })();
    const events = (async () => {
      await registryFilled(npm, out);
      await track('events, first release', byHand(ORDER_EVENTS, eventsRepo.sha), {
        status: 'succeeded',
        stage: 'Deploy',
      });
      await track('events, green canary', byPush(ORDER_EVENTS, eventsRepo.repo, 'order-events-v2'), {
        status: 'succeeded',
        stage: 'Deploy',
      });
    })();
    const results = await Promise.allSettled([delivery, deployment, events]);
    for (const result of results) {
      if (result.status === 'rejected') out(`✘ ${(result.reason as Error).message}`);
    }
    out('');
    out(formatSummary(rows, { timeScale: options.timeScale ?? 60, catalog: sluice.catalog }));
    // What the ledger now says: DORA metrics and each service's readiness (npx sluice status shows the same).
    const report = await collectStatus(sluice.ledger, sluice.catalog, {
      now: new Date(),
      periodMs: 86_400_000,
    });
    out('');
    out(formatMetrics(report));
    out('');
    out(formatCosts(report));
    for (const service of report.services) {
      if (service.readiness) out(`${service.name}: ${service.recommendation ?? service.readiness.summary}`);
    }
    out(`Charts: the status page ${sluice.web.url}/ (while the runtime runs: --stay).`);
    const allOk =
      rows.length === SCENARIOS && rows.every((r) => r.ok) && results.every((r) => r.status === 'fulfilled');
    out('');
    out(
      `${allOk ? '✔ Every release ended as expected' : '✘ Some releases did not end as expected'} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    );
    out(
      `The ledger (${join(stateDir, LEDGER_DIR)}), outbox and artifacts stay in ${stateDir} until the next demo, which starts clean; \`npx sluice local\` keeps its ledger across runs.`,
    );
    if (options.stayUntil) {
      out('');
      out(
        `The runtime stays up: status page ${sluice.web.url}, ${CHECKOUT} live at ${sluice.deployTarget.routerUrl(CHECKOUT)}.`,
      );
      out(
        `Roll back with: npx sluice rollback ${CHECKOUT} --reason "..." [--to RELEASE]   (Ctrl-C stops the runtime)`,
      );
      await options.stayUntil();
    }
    return allOk ? 0 : 1;
  } finally {
    await watcher.close();
    await sluice.close();
    await slack.close();
  }
}
