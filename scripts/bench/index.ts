/**
 * `npm run bench [-- --json] [-- --write-profile] [-- --only synth]`: one command, real local runs, everything measured in this
 * process on this machine, offline.
 *   1. `cdk synth` of a 1-service catalog: the handler bundles as deployed, their memory sizes;
 *   2. each bundle's size and load time in a fresh Node process (relative to an empty handler);
 *   3. the demo's releases on the local runtime, one after another: state transitions from the interpreter's
 *      events, every handler invocation timed with the DynamoDB capacity and alarm checks it used, the rollback
 *      time; the cost per release (lambdas/core/cost.ts) from those measurements, and CodePipeline V2's;
 *   4. `cdk synth` of 10 and 1,000 services, alternating, three rounds; the ratio of the medians.
 * `--only synth` runs step 4 alone (about a minute and a half), for work on synth time.
 * Progress goes to stderr; stdout gets a markdown table, and with --json a last line holding one JSON object.
 * --write-profile stores the per-handler figures in lambdas/core/handler-profile.json, which `sluice status`,
 * the status page and the demo summary estimate with.
 */

import { rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { requireCatalogFile } from '../../lambdas/core/catalog/load';
import { estimateRelease, sluiceCost } from '../../lambdas/core/cost';
import type { CfnTemplate } from '../../local/definition';
import { runMain } from '../run-main';
import { bundlesOf, measureInit } from './bundles';
import {
  type BenchResult,
  formatJson,
  formatMarkdown,
  type HandlerSummary,
  measuredUsage,
  median,
  profileFrom,
  round,
  SCENARIOS,
  type ScenarioSummary,
  synthScale,
} from './report';
import { runScenarios } from './scenarios';
import { measureSynth, PROJECT_ROOT } from './synth';

/** Step 4's rounds: each synthesizes 10 services, then 1,000; the ratio is of the medians. */
const SYNTH_ROUNDS = 3;
/** A 5-minute canary bakes for 5 s: the demo's compression. */
const TIME_SCALE = 60;
export const PROFILE_FILE = join(PROJECT_ROOT, 'lambdas', 'core', 'handler-profile.json');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      'write-profile': { type: 'boolean', default: false },
      'keep-work-dir': { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  if (values.only !== undefined && values.only !== 'synth') {
    throw new Error(
      `--only takes "synth" (the one step that runs alone); received ${JSON.stringify(values.only)}`,
    );
  }
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const measuredAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const workDir = join(PROJECT_ROOT, '.sluice', 'bench');
  await rm(workDir, { recursive: true, force: true });
  try {
    if (values.only === 'synth') {
      const { scale, pipelineResources } = await measureSynthScale(workDir, progress);
      const result = {
        measuredAt,
        loadAverage: { start: round(loadAtStart, 1), end: round(loadavg()[0] ?? 0, 1) },
        synthSeconds: scale.seconds,
        synthRatio: scale.ratio,
        synthSamples: scale.samples,
        pipelineResources,
      };
      process.stdout.write(
        `\`cdk synth\`: 10 services ${scale.seconds['10'].toFixed(1)} s, 1,000 services ${scale.seconds['1000'].toFixed(1)} s ` +
          `(${scale.ratio.toFixed(2)}×, medians of ${SYNTH_ROUNDS} rounds); load average ${result.loadAverage.start} → ${result.loadAverage.end}\n`,
      );
      if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    progress('[1/4] cdk synth, 1 service (bundles every handler)…');
    const synth1 = await measureSynth(1, workDir);
    progress(`      ${synth1.seconds.toFixed(1)} s, ${synth1.pipelineResources} pipeline resources`);
    const bundles = await bundlesOf(synth1.pipelineTemplate, synth1.outdir);
    const memoryMb = Object.fromEntries(bundles.map((b) => [b.handler, b.memoryMb]));

    progress(`[2/4] loading each of ${bundles.length} bundles in fresh Node processes (7 runs each)…`);
    const initMs = await measureInit(bundles, workDir);

    progress('[3/4] releases on the local runtime (DynamoDB Local, real git, real HTTP)…');
    const catalogFile = join(PROJECT_ROOT, 'sluice.catalog.json');
    const catalog = requireCatalogFile(catalogFile);
    const codeDeployStates = deliveredCodeDeployStates(synth1.pipelineTemplate);
    const scenarios = await runScenarios({
      catalogFile,
      stateDir: join(workDir, 'state'),
      timeScale: TIME_SCALE,
      progress,
      delivered: (handler, event) =>
        handler !== 'deployment-events' ||
        codeDeployStates.has(String((event as { detail?: { state?: unknown } }).detail?.state)),
    });
    const profile = profileFrom(scenarios.samples, memoryMb, initMs, {
      measuredAt: measuredAt.slice(0, 10),
      method: `npm run bench on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, DynamoDB Local`,
    });

    const summaries: ScenarioSummary[] = [];
    for (const key of SCENARIOS) {
      const { report, samples, wallMs } = scenarios.runs[key];
      if (!report.record) throw new Error(`${report.releaseId} has no ledger record`);
      const config = catalog.services.find((s) => s.name === report.service);
      const usage = measuredUsage({
        transitions: report.transitions,
        samples,
        memoryMb,
        coldStartMs: initMs,
        // Its approval's expiry schedule fires later, decided or not: one Scheduler invocation.
        schedulerInvocations: samples.some((s) => s.handler === 'request-approval') ? 1 : 0,
      });
      const model = estimateRelease(report.record, {
        profile,
        timeScale: TIME_SCALE,
        approvalsRequired: config?.approval?.required ?? 1,
      });
      if (!model) throw new Error(`${report.releaseId} has not ended`);
      const counted = Object.fromEntries(usage.invocations.map((i) => [i.handler, i.count]));
      const modelled = Object.fromEntries(model.usage.invocations.map((i) => [i.handler, i.count]));
      if (JSON.stringify(sorted(counted)) !== JSON.stringify(sorted(modelled))) {
        progress(
          `  ! ${key}: invocations measured ${JSON.stringify(sorted(counted))}, modelled ${JSON.stringify(sorted(modelled))}`,
        );
      }
      if (model.transitions !== report.transitions) {
        progress(`  ! ${key}: ${report.transitions} transitions counted, ${model.transitions} modelled`);
      }
      summaries.push({
        key,
        releaseId: report.releaseId,
        outcome: `${report.status} at ${report.endedAt}`,
        transitions: report.transitions,
        modelTransitions: model.transitions,
        wallSeconds: round(wallMs / 1000, 1),
        sluiceUsd: sluiceCost(usage).total,
        modelUsd: model.sluice.total,
        codePipelineV2Usd: model.codePipelineV2.usd,
        invocations: counted,
      });
    }

    progress(`[4/4] cdk synth, 10 and 1,000 services, ${SYNTH_ROUNDS} rounds…`);
    const { scale, pipelineResources } = await measureSynthScale(workDir, progress);

    const green = scenarios.runs.greenDeployment;
    const greenUsage = measuredUsage({
      transitions: green.report.transitions,
      samples: green.samples,
      memoryMb,
      coldStartMs: initMs,
    });
    const greenCost = sluiceCost(greenUsage);
    const greenSummary = summaries.find((s) => s.key === 'greenDeployment');
    const codePipelineV2 = greenSummary?.codePipelineV2Usd ?? Number.NaN;
    const handlers: Record<string, HandlerSummary> = {};
    for (const bundle of bundles) {
      const mine = scenarios.samples.filter((s) => s.handler === bundle.handler);
      handlers[bundle.handler] = {
        memoryMb: bundle.memoryMb,
        bundleKb: round(bundle.bytes / 1024, 1),
        initMs: round(initMs[bundle.handler] ?? 0, 1),
        medianMs: round(median(mine.map((s) => s.ms)), 1),
        invocations: mine.length,
      };
    }
    const cpu = cpus();
    const result: BenchResult = {
      measuredAt,
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model.trim() ?? 'unknown',
        node: process.version,
        loadAverage: { start: round(loadAtStart, 1), end: round(loadavg()[0] ?? 0, 1) },
      },
      durationSeconds: round((performance.now() - started) / 1000, 1),
      timeScale: TIME_SCALE,
      transitions: Object.fromEntries(
        SCENARIOS.map((k) => [k, scenarios.runs[k].report.transitions]),
      ) as BenchResult['transitions'],
      costPerReleaseUsd: {
        sluice: greenCost.total,
        codePipelineV2,
        ratio: round(codePipelineV2 / greenCost.total, 1),
      },
      costBreakdownUsd: greenCost,
      rollbackMs: scenarios.rollback.ms ?? null,
      canaryPeriodMs: scenarios.rollback.periodMs,
      ...(scenarios.rollback.alarm ? { rollbackAlarm: scenarios.rollback.alarm } : {}),
      synthSeconds: { '1': round(synth1.seconds, 1), ...scale.seconds },
      synthScale: scale,
      pipelineResources: { '1': synth1.pipelineResources, '1000': pipelineResources['1000'] },
      bundleKb: Object.fromEntries(bundles.map((b) => [b.handler, round(b.bytes / 1024, 1)])),
      initMs: Object.fromEntries(bundles.map((b) => [b.handler, round(initMs[b.handler] ?? 0, 1)])),
      scenarios: summaries,
      handlers,
    };
    if (values['write-profile']) {
      await writeFile(PROFILE_FILE, `${JSON.stringify(profile, null, 2)}\n`);
      progress(`Wrote ${PROFILE_FILE}`);
    }
    process.stdout.write(`${formatMarkdown(result)}\n`);
    if (values.json) process.stdout.write(`${formatJson(result)}\n`);
    return 0;
  } finally {
    if (!values['keep-work-dir']) await rm(workDir, { recursive: true, force: true });
  }
}

/** Step 4: rounds of a `cdk synth` of 10 services then one of 1,000, so a slow spell on the machine hits both sizes. */
async function measureSynthScale(workDir: string, progress: (line: string) => void) {
  const samples10: number[] = [];
  const samples1000: number[] = [];
  const pipelineResources = { '10': 0, '1000': 0 };
  for (let round = 1; round <= SYNTH_ROUNDS; round++) {
    const synth10 = await measureSynth(10, workDir);
    const synth1000 = await measureSynth(1000, workDir);
    samples10.push(synth10.seconds);
    samples1000.push(synth1000.seconds);
    pipelineResources['10'] = synth10.pipelineResources;
    pipelineResources['1000'] = synth1000.pipelineResources;
    progress(
      `      round ${round}/${SYNTH_ROUNDS}: 10 services ${synth10.seconds.toFixed(1)} s, ` +
        `1,000 services ${synth1000.seconds.toFixed(1)} s (${synth1000.pipelineResources} pipeline resources)`,
    );
  }
  return { scale: synthScale(samples10, samples1000), pipelineResources };
}

/**
 * The CodeDeploy states the pipeline's rule delivers to deployment-events (its EventPattern in the template).
 * The local deploy target also emits START, which this rule would not deliver in AWS.
 */
function deliveredCodeDeployStates(template: CfnTemplate): Set<string> {
  for (const resource of Object.values(template.Resources)) {
    const pattern = resource.Properties?.EventPattern as
      | { source?: string[]; detail?: { state?: string[] } }
      | undefined;
    if (resource.Type === 'AWS::Events::Rule' && pattern?.source?.includes('aws.codedeploy'))
      return new Set(pattern.detail?.state ?? []);
  }
  throw new Error('The pipeline template has no rule for CodeDeploy state changes');
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

if (require.main === module) runMain(main);
