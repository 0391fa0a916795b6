/**
 * What one release costs to orchestrate, estimated from what the ledger records about it, and what CodePipeline
 * V2 would charge for the same stages. Pure: the release's facts, a handler profile (memory from the synthesized
 * template, per-invocation durations and requests measured by `npm run bench`) and the price table (./prices.ts)
 * go in; dollars come out. The benchmark, the demo summary, `sluice status` and the status page all use it.
 */
import { PRICES, type PriceTable } from './prices';

/** The handler each Task state of the release state machine invokes (the template's `Sluice::Handler`). */
export const TASK_HANDLERS = {
  LoadService: 'load-service',
  Build: 'build',
  Test: 'run-tests',
  Stage: 'stage',
  RequestApproval: 'request-approval',
  Deploy: 'deploy',
  Record: 'record',
} as const;

/** Stages whose ledger record is taken inside the handler, so its duration is the handler's own. */
const STAGES_TIMED_BY_HANDLER = ['LoadService', 'Build', 'Test', 'Stage'] as const;

/** Release sources whose push reaches the router (a manual or demo start calls StartExecution directly). */
const PUSH_SOURCES = new Set(['codecommit', 'github', 'local-git']);

/** CodePipeline and Lambda bill whole minutes and milliseconds; a month is taken as 30 days. */
const MINUTE_MS = 60_000;
export const DAYS_PER_MONTH = 30;

/**
 * DORA metric names Record publishes per `Service`+`Mode` (lambdas/core/release-metrics.ts): six for any
 * production release, two more (approval wait, shadow agreement) for delivery releases.
 */
export const DORA_METRICS_PER_SERVICE = { deployment: 6, delivery: 8 } as const;

/** One handler as measured: what the template gives it and what one invocation uses. */
export interface HandlerProfileEntry {
  /** MemorySize in the synthesized template. */
  readonly memoryMb: number;
  /** Median duration of one invocation, in ms (handler code only). */
  readonly medianMs: number;
  /** Time to load the handler's minified bundle in a fresh process, in ms: billed on a cold start. */
  readonly coldStartMs: number;
  /** Mean DynamoDB request units one invocation consumes. */
  readonly dynamoDbWriteUnits: number;
  readonly dynamoDbReadUnits: number;
  /** Mean CloudWatch API requests (DescribeAlarms) one invocation makes. */
  readonly cloudWatchRequests: number;
  /** How many invocations the figures rest on. */
  readonly samples: number;
}

export interface HandlerProfile {
  /** ISO date of the measurement. */
  readonly measuredAt: string;
  /** How it was measured (machine, command). */
  readonly method: string;
  readonly handlers: Readonly<Record<string, HandlerProfileEntry>>;
}

/** What the estimate reads from a release: a ledger release record fits as it is. */
export interface ReleaseFacts {
  readonly mode: 'delivery' | 'deployment';
  readonly status: string;
  readonly outcome?: { readonly stage: string };
  readonly stages: { readonly [stage: string]: { readonly durationMs: number } | undefined };
  readonly trigger?: { readonly source: string };
  readonly deploymentId?: string;
  readonly stoppedByAlarm?: string;
  /** Set on a manual rollback (`sluice rollback`): it runs no execution. */
  readonly rollback?: unknown;
  /**
   * Earlier attempts of a retried release, oldest first: each was an execution of its own, so the release's cost
   * is theirs plus the current attempt's. Attempt 1 came the way `trigger` says; a retry is started by a person.
   */
  readonly attempts?: readonly Pick<ReleaseFacts, 'status' | 'outcome' | 'stages'>[];
}

export interface CostOptions {
  readonly profile: HandlerProfile;
  /** @default PRICES */
  readonly prices?: PriceTable;
  /** Approvals a delivery release needs; each approver opens the page once and decides once. @default 1 */
  readonly approvalsRequired?: number;
}

/** A handler the profile does not know: the profile is older than the handler list (rerun `npm run bench`). */
export class HandlerProfileError extends Error {
  override readonly name = 'HandlerProfileError';
}

/**
 * The states one execution entered, in order: what Step Functions bills as state transitions. The path follows
 * from the outcome (`lib/release-state-machine.ts`): the stages up to where it ended, `<Stage>Failed` after a
 * caught failure, then Record and Outcome. Retries are not in the ledger and not counted. Undefined while the
 * release runs; empty for a manual rollback, which runs no execution.
 */
export function transitionPath(facts: ReleaseFacts): readonly string[] | undefined {
  if (facts.rollback) return [];
  if (!facts.outcome || facts.status === 'running') return undefined;
  const ended = facts.outcome.stage;
  const released = facts.status === 'succeeded';
  const path: string[] = [];
  const finish = (...last: string[]) => [
    ...path,
    ...last,
    'Record',
    'Outcome',
    released ? 'Released' : 'NotReleased',
  ];
  for (const stage of STAGES_TIMED_BY_HANDLER) {
    path.push(stage);
    if (ended === stage && !released) return finish(`${stage}Failed`);
  }
  path.push('Mode');
  if (facts.mode === 'delivery') {
    path.push('RequestApproval');
    // A rejection is a decision (ApprovalDecision → Record); expiry and supersede fail the task (its Catch).
    if (ended === 'Approval')
      return facts.status === 'rejected' ? finish('ApprovalDecision') : finish('ApprovalFailed');
    path.push('ApprovalDecision', 'ScheduledRelease');
  }
  path.push('Deploy');
  return released ? finish() : finish('DeployFailed');
}

/** One handler's invocations in a release. */
export interface Invocations {
  readonly handler: string;
  readonly count: number;
  readonly memoryMb: number;
  /** Billed duration of one invocation: rounded up to 1 ms, a cold start included. */
  readonly billedMs: number;
}

export interface ReleaseUsage {
  readonly transitions: number;
  readonly invocations: readonly Invocations[];
  readonly lambdaGbSeconds: number;
  readonly lambdaRequests: number;
  /** PutEvents entries on the Sluice bus (GitHub pushes); AWS service events are free. */
  readonly customEvents: number;
  /** EventBridge Scheduler invocations (an approval's expiry schedule always fires, decided or not). */
  readonly schedulerInvocations: number;
  readonly dynamoDbWriteUnits: number;
  readonly dynamoDbReadUnits: number;
  readonly cloudWatchRequests: number;
}

/** How often each handler runs for a release, by the path it took and what started and stopped it. */
function invocationCounts(
  facts: ReleaseFacts,
  path: readonly string[],
  approvals: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (handler: string, n = 1) => {
    if (n > 0) counts.set(handler, (counts.get(handler) ?? 0) + n);
  };
  for (const state of path) {
    const handler = TASK_HANDLERS[state as keyof typeof TASK_HANDLERS];
    if (handler) add(handler);
  }
  // A manual rollback is started by the CLI, not by a push.
  const source = facts.rollback ? 'manual' : (facts.trigger?.source ?? 'manual');
  if (PUSH_SOURCES.has(source)) add('router');
  if (source === 'github') add('github-webhook');
  // The deployment's end event (SUCCESS, FAILURE or STOP) resumes the release, or records a rollback.
  if (facts.deploymentId) add('deployment-events');
  if (facts.stoppedByAlarm) add('alarm-events');
  if (path.includes('ApprovalDecision'))
    add('approval-api', 2 * (facts.status === 'rejected' ? 1 : approvals));
  if (path.includes('RequestApproval')) add('approval-expiry');
  // NotReleased is a Fail state: the execution ends FAILED, and the rule for abnormal ends delivers that.
  if (path.at(-1) === 'NotReleased') add('execution-events');
  return counts;
}

function profileOf(profile: HandlerProfile, handler: string): HandlerProfileEntry {
  const entry = profile.handlers[handler];
  if (!entry) {
    throw new HandlerProfileError(
      `The handler profile (measured ${profile.measuredAt}) has no entry for "${handler}"; rerun npm run bench -- --write-profile`,
    );
  }
  return entry;
}

/** What one ended release used; undefined while it runs. */
export function releaseUsage(facts: ReleaseFacts, options: CostOptions): ReleaseUsage | undefined {
  const path = transitionPath(facts);
  if (!path) return undefined;
  const counts = invocationCounts(facts, path, options.approvalsRequired ?? 1);
  const stageOf = Object.fromEntries(
    STAGES_TIMED_BY_HANDLER.map((stage) => [TASK_HANDLERS[stage], facts.stages[stage]?.durationMs]),
  );
  const invocations: Invocations[] = [];
  let gbSeconds = 0;
  let requests = 0;
  let writes = 0;
  let reads = 0;
  let cloudWatch = 0;
  for (const [handler, count] of counts) {
    const entry = profileOf(options.profile, handler);
    const runMs = stageOf[handler] ?? entry.medianMs;
    const billedMs = Math.ceil(runMs + entry.coldStartMs);
    invocations.push({ handler, count, memoryMb: entry.memoryMb, billedMs });
    gbSeconds += count * (entry.memoryMb / 1024) * (billedMs / 1000);
    requests += count;
    writes += count * entry.dynamoDbWriteUnits;
    reads += count * entry.dynamoDbReadUnits;
    cloudWatch += count * entry.cloudWatchRequests;
  }
  const approvalSchedules = counts.get('approval-expiry') ?? 0;
  return {
    transitions: path.length,
    invocations,
    lambdaGbSeconds: gbSeconds,
    lambdaRequests: requests,
    customEvents: facts.trigger?.source === 'github' ? 1 : 0,
    schedulerInvocations: approvalSchedules,
    dynamoDbWriteUnits: writes,
    dynamoDbReadUnits: reads,
    cloudWatchRequests: cloudWatch,
  };
}

/** Dollars per service, for one release. */
export interface SluiceCost {
  readonly stepFunctions: number;
  readonly lambda: number;
  readonly eventBridge: number;
  readonly dynamoDb: number;
  readonly cloudWatch: number;
  readonly total: number;
}

export function sluiceCost(usage: ReleaseUsage, prices: PriceTable = PRICES): SluiceCost {
  const stepFunctions = usage.transitions * prices.stepFunctionsStateTransition.usd;
  const lambda =
    usage.lambdaGbSeconds * prices.lambdaGbSecond.usd + usage.lambdaRequests * prices.lambdaRequest.usd;
  const eventBridge =
    usage.customEvents * prices.eventBridgeCustomEvent.usd +
    usage.schedulerInvocations * prices.schedulerInvocation.usd;
  const dynamoDb =
    usage.dynamoDbWriteUnits * prices.dynamoDbWriteRequestUnit.usd +
    usage.dynamoDbReadUnits * prices.dynamoDbReadRequestUnit.usd;
  const cloudWatch = usage.cloudWatchRequests * prices.cloudWatchApiRequest.usd;
  return {
    stepFunctions,
    lambda,
    eventBridge,
    dynamoDb,
    cloudWatch,
    total: stepFunctions + lambda + eventBridge + dynamoDb + cloudWatch,
  };
}

/** One CodePipeline action standing in for a Sluice stage. */
export interface PipelineAction {
  readonly name: string;
  /** Billed minutes: the action's duration rounded up; 0 for a manual approval, which is not charged. */
  readonly minutes: number;
}

export interface CodePipelineOptions {
  /**
   * How much faster than real time the Deploy stage ran (the local runtime's timeScale: a 5-minute canary
   * bakes for 5 s at 60), so the equivalent CodeDeploy action is billed for the real bake. @default 1
   */
  readonly timeScale?: number;
}

/**
 * The actions a CodePipeline V2 pipeline runs for the same stages: a source action (LoadService), CodeBuild
 * build and test actions, a staging deploy, a manual approval (delivery), a CodeDeploy deploy with the same
 * strategy and bake time. Record has no counterpart. Undefined while the release runs.
 */
export function codePipelineActions(
  facts: ReleaseFacts,
  options: CodePipelineOptions = {},
): readonly PipelineAction[] | undefined {
  const path = transitionPath(facts);
  if (!path) return undefined;
  const minutes = (stage: string, scale = 1) =>
    Math.max(1, Math.ceil(((facts.stages[stage]?.durationMs ?? 0) * scale) / MINUTE_MS));
  const actions: PipelineAction[] = [];
  if (facts.rollback) return [{ name: 'Deploy', minutes: minutes('Deploy', options.timeScale) }];
  const names = { LoadService: 'Source', Build: 'Build', Test: 'Test', Stage: 'Stage' } as const;
  for (const stage of STAGES_TIMED_BY_HANDLER) {
    if (path.includes(stage)) actions.push({ name: names[stage], minutes: minutes(stage) });
  }
  if (path.includes('RequestApproval')) actions.push({ name: 'Approval', minutes: 0 });
  if (path.includes('Deploy'))
    actions.push({ name: 'Deploy', minutes: minutes('Deploy', options.timeScale) });
  return actions;
}

export function codePipelineCost(actions: readonly PipelineAction[], prices: PriceTable = PRICES): number {
  return actions.reduce((sum, a) => sum + a.minutes, 0) * prices.codePipelineV2ActionMinute.usd;
}

export interface ReleaseCost {
  readonly transitions: number;
  readonly usage: ReleaseUsage;
  readonly sluice: SluiceCost;
  readonly codePipelineV2: { readonly actions: readonly PipelineAction[]; readonly usd: number };
}

/** Two runs' usage together. */
function addUsage(a: ReleaseUsage, b: ReleaseUsage): ReleaseUsage {
  return {
    transitions: a.transitions + b.transitions,
    invocations: [...a.invocations, ...b.invocations],
    lambdaGbSeconds: a.lambdaGbSeconds + b.lambdaGbSeconds,
    lambdaRequests: a.lambdaRequests + b.lambdaRequests,
    customEvents: a.customEvents + b.customEvents,
    schedulerInvocations: a.schedulerInvocations + b.schedulerInvocations,
    dynamoDbWriteUnits: a.dynamoDbWriteUnits + b.dynamoDbWriteUnits,
    dynamoDbReadUnits: a.dynamoDbReadUnits + b.dynamoDbReadUnits,
    cloudWatchRequests: a.cloudWatchRequests + b.cloudWatchRequests,
  };
}

/**
 * Both estimates for one ended release, over all its attempts (each one execution, each one pipeline run);
 * undefined while it runs.
 */
export function estimateRelease(
  facts: ReleaseFacts,
  options: CostOptions & CodePipelineOptions,
): ReleaseCost | undefined {
  const retried = { source: 'manual' };
  const runs: ReleaseFacts[] = [
    ...(facts.attempts ?? []).map((a, i) => ({
      mode: facts.mode,
      ...a,
      trigger: i ? retried : facts.trigger,
    })),
    facts.attempts?.length ? { ...facts, trigger: retried } : facts,
  ];
  let usage: ReleaseUsage | undefined;
  const actions: PipelineAction[] = [];
  for (const [i, run] of runs.entries()) {
    const used = releaseUsage(run, options);
    const ran = codePipelineActions(run, options);
    // The current attempt still runs: no estimate yet. An earlier one recorded without an outcome adds nothing.
    if (!used || !ran) {
      if (i === runs.length - 1) return undefined;
      continue;
    }
    usage = usage ? addUsage(usage, used) : used;
    actions.push(...ran);
  }
  if (!usage) return undefined;
  return {
    transitions: usage.transitions,
    usage,
    sluice: sluiceCost(usage, options.prices),
    codePipelineV2: { actions, usd: codePipelineCost(actions, options.prices) },
  };
}

export interface MonthlyCost {
  /** At the pace of the period: releases in it, scaled to 30 days. */
  readonly releasesPerMonth: number;
  /** The releases' cost at that pace. */
  readonly usd: number;
}

/** Per service per month: the cost of the releases in a period of `periodDays`, at that pace for 30 days. */
export function monthlyCost(releaseUsd: readonly number[], periodDays: number): MonthlyCost {
  if (!(periodDays > 0)) throw new RangeError(`periodDays must be positive; received ${periodDays}`);
  const scale = DAYS_PER_MONTH / periodDays;
  return {
    releasesPerMonth: releaseUsd.length * scale,
    usd: releaseUsd.reduce((sum, usd) => sum + usd, 0) * scale,
  };
}

/** What a service costs each month whether it releases or not (CloudWatch). */
export interface FixedMonthlyCost {
  /** Its canary alarms: error rate (metric math over 2 metrics), p99 latency, and the business alarm if any. */
  readonly alarms: number;
  /** Its DORA metrics per `Service`+`Mode`, billed as if sent every hour of the month (an upper bound). */
  readonly doraMetrics: number;
  readonly total: number;
}

export function fixedMonthlyCost(
  service: { readonly mode: string; readonly deploy?: { readonly alarms?: { readonly business?: unknown } } },
  prices: PriceTable = PRICES,
): FixedMonthlyCost {
  const alarmMetrics = 3 + (service.deploy?.alarms?.business ? 1 : 0);
  // An auto service publishes under both modes over time.
  const metrics =
    service.mode === 'deployment'
      ? DORA_METRICS_PER_SERVICE.deployment
      : service.mode === 'delivery'
        ? DORA_METRICS_PER_SERVICE.delivery
        : DORA_METRICS_PER_SERVICE.deployment + DORA_METRICS_PER_SERVICE.delivery;
  const alarms = alarmMetrics * prices.cloudWatchAlarmMetricMonth.usd;
  const doraMetrics = metrics * prices.cloudWatchCustomMetricMonth.usd;
  return { alarms, doraMetrics, total: alarms + doraMetrics };
}

/** Dollars with three significant digits (`$0.000412`, `$0.0200`), or two decimals from $1 up. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 1) return `$${usd.toFixed(2)}`;
  const digits = Math.min(12, 2 - Math.floor(Math.log10(Math.abs(usd))));
  return `$${usd.toFixed(digits)}`;
}
