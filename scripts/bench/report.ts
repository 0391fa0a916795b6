/**
 * The benchmark's pure parts: what a measured release used and cost, the handler profile it yields, and the
 * markdown table and JSON it prints. No clock, no I/O: scripts/bench/index.ts measures, this arranges.
 */
import {
  formatUsd,
  type HandlerProfile,
  type HandlerProfileEntry,
  type Invocations,
  type ReleaseUsage,
  type SluiceCost,
} from '../../lambdas/core/cost';
import { defined, medianOfSorted } from '../../lambdas/core/defined';

export const SCENARIOS = ['greenDeployment', 'approvedDelivery', 'rolledBack', 'testFailed'] as const;
export type ScenarioKey = (typeof SCENARIOS)[number];

/** One handler invocation as the benchmark saw it. */
export interface InvocationSample {
  readonly handler: string;
  /** Wall time of the handler call. */
  readonly ms: number;
  readonly dynamoDbWriteUnits: number;
  readonly dynamoDbReadUnits: number;
  readonly cloudWatchRequests: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return medianOfSorted([...values].sort((a, b) => a - b)) ?? Number.NaN;
}

/** `cdk synth` time at 10 and at 1,000 services, from rounds that each synthesized both. */
export interface SynthScale {
  /** The median of each size's samples, in seconds. */
  readonly seconds: { readonly '10': number; readonly '1000': number };
  /** The ratio of the medians: the target is at most 2. */
  readonly ratio: number;
  /** Every sample in seconds, in the order measured. */
  readonly samples: { readonly '10': readonly number[]; readonly '1000': readonly number[] };
}

/**
 * The scale figure from alternating rounds: medians, so one slow spell on a shared machine (a single synth of
 * 1,000 services has taken anywhere from 16 to 26 s on the same code) does not decide the ratio.
 */
export function synthScale(samples10: readonly number[], samples1000: readonly number[]): SynthScale {
  if (samples10.length === 0 || samples10.length !== samples1000.length) {
    throw new Error(
      `synthScale needs one sample of each size per round; received ${samples10.length} at 10 and ${samples1000.length} at 1,000`,
    );
  }
  const seconds = { '10': median(samples10), '1000': median(samples1000) };
  return {
    seconds: { '10': round(seconds['10'], 1), '1000': round(seconds['1000'], 1) },
    ratio: round(seconds['1000'] / seconds['10'], 2),
    samples: { '10': samples10.map((s) => round(s, 1)), '1000': samples1000.map((s) => round(s, 1)) },
  };
}

export interface MeasuredUsageInput {
  readonly transitions: number;
  readonly samples: readonly InvocationSample[];
  /** MemorySize per handler, from the synthesized template. */
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Billed once per invocation: releases are rare, so each invocation is taken to start cold. */
  readonly coldStartMs: Readonly<Record<string, number>>;
  readonly customEvents?: number;
  readonly schedulerInvocations?: number;
}

/** What a release used, from its own measured invocations (each rounded up to 1 ms, a cold start added). */
export function measuredUsage(input: MeasuredUsageInput): ReleaseUsage {
  const byHandler = new Map<string, InvocationSample[]>();
  for (const sample of input.samples) {
    byHandler.set(sample.handler, [...(byHandler.get(sample.handler) ?? []), sample]);
  }
  const invocations: Invocations[] = [];
  let gbSeconds = 0;
  let writes = 0;
  let reads = 0;
  let cloudWatch = 0;
  for (const [handler, samples] of byHandler) {
    const memoryMb = input.memoryMb[handler];
    if (memoryMb === undefined) throw new Error(`No memory size for handler ${handler} in the template`);
    const billed = samples.map((s) => Math.ceil(s.ms + (input.coldStartMs[handler] ?? 0)));
    const totalMs = billed.reduce((a, b) => a + b, 0);
    invocations.push({ handler, count: samples.length, memoryMb, billedMs: totalMs / samples.length });
    gbSeconds += (memoryMb / 1024) * (totalMs / 1000);
    for (const s of samples) {
      writes += s.dynamoDbWriteUnits;
      reads += s.dynamoDbReadUnits;
      cloudWatch += s.cloudWatchRequests;
    }
  }
  return {
    transitions: input.transitions,
    invocations,
    lambdaGbSeconds: gbSeconds,
    lambdaRequests: input.samples.length,
    customEvents: input.customEvents ?? 0,
    schedulerInvocations: input.schedulerInvocations ?? 0,
    dynamoDbWriteUnits: writes,
    dynamoDbReadUnits: reads,
    cloudWatchRequests: cloudWatch,
  };
}

/** The profile `sluice status` estimates with: per handler, the median and means over every sample. */
export function profileFrom(
  samples: readonly InvocationSample[],
  memoryMb: Readonly<Record<string, number>>,
  coldStartMs: Readonly<Record<string, number>>,
  meta: { readonly measuredAt: string; readonly method: string },
): HandlerProfile {
  const handlers: Record<string, HandlerProfileEntry> = {};
  for (const handler of Object.keys(memoryMb).sort()) {
    const mine = samples.filter((s) => s.handler === handler);
    const mean = (pick: (s: InvocationSample) => number) =>
      mine.length ? round(mine.reduce((sum, s) => sum + pick(s), 0) / mine.length, 2) : 0;
    handlers[handler] = {
      memoryMb: defined(memoryMb[handler], `the memory size of ${handler}`),
      medianMs: mine.length ? round(median(mine.map((s) => s.ms)), 1) : 0,
      coldStartMs: round(coldStartMs[handler] ?? 0, 1),
      dynamoDbWriteUnits: mean((s) => s.dynamoDbWriteUnits),
      dynamoDbReadUnits: mean((s) => s.dynamoDbReadUnits),
      cloudWatchRequests: mean((s) => s.cloudWatchRequests),
      samples: mine.length,
    };
  }
  return { ...meta, handlers };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface ScenarioSummary {
  readonly key: ScenarioKey;
  readonly releaseId: string;
  readonly outcome: string;
  /** Counted from the interpreter's StateEntered events. */
  readonly transitions: number;
  /** What the cost module derives from the ledger record (the figure `sluice status` uses). */
  readonly modelTransitions: number;
  readonly wallSeconds: number;
  /** From this release's own measured invocations. */
  readonly sluiceUsd: number;
  /** The cost module on the ledger record with the profile of this run: what `sluice status` shows. */
  readonly modelUsd: number;
  readonly codePipelineV2Usd: number;
  readonly invocations: Readonly<Record<string, number>>;
}

export interface HandlerSummary {
  readonly memoryMb: number;
  readonly bundleKb: number;
  readonly initMs: number;
  readonly medianMs: number;
  readonly invocations: number;
}

export interface BenchResult {
  readonly measuredAt: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    /** os.loadavg()[0] when the run started and ended: how busy the machine was. */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
  readonly durationSeconds: number;
  readonly timeScale: number;
  readonly transitions: Readonly<Record<ScenarioKey, number>>;
  /** A green deployment release with a 5-minute canary. */
  readonly costPerReleaseUsd: {
    readonly sluice: number;
    readonly codePipelineV2: number;
    /** codePipelineV2 / sluice */
    readonly ratio: number;
  };
  readonly costBreakdownUsd: SluiceCost;
  /** First failing request of the bad canary → the previous version serving 100% again (real ms). */
  readonly rollbackMs: number | null;
  /** The canary alarms' evaluation period in real ms (one CodeDeploy minute at this time scale). */
  readonly canaryPeriodMs: number;
  readonly rollbackAlarm?: string;
  /** `cdk synth` seconds by service count: 1 measured once, 10 and 1,000 the medians of `synthScale`. */
  readonly synthSeconds: Readonly<Record<string, number>>;
  readonly synthScale: SynthScale;
  readonly pipelineResources: Readonly<Record<string, number>>;
  readonly bundleKb: Readonly<Record<string, number>>;
  readonly initMs: Readonly<Record<string, number>>;
  readonly scenarios: readonly ScenarioSummary[];
  readonly handlers: Readonly<Record<string, HandlerSummary>>;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

const TITLES: Record<ScenarioKey, string> = {
  greenDeployment: 'green deployment (5-min canary)',
  approvedDelivery: 'approved delivery',
  rolledBack: 'rolled back by an alarm',
  testFailed: 'tests fail',
};

/** The benchmark as markdown: headline figures, one row per scenario, one row per handler. */
export function formatMarkdown(result: BenchResult): string {
  const { costPerReleaseUsd: cost } = result;
  const synth = Object.entries(result.synthSeconds)
    .map(([n, s]) => `${n}: ${s.toFixed(1)} s`)
    .join(', ');
  const resources = Object.entries(result.pipelineResources)
    .map(([n, r]) => `${n}: ${r}`)
    .join(', ');
  const headline = table(
    ['measure', 'value'],
    [
      [
        'cost per release, green deployment with a 5-minute canary',
        `Sluice ${formatUsd(cost.sluice)} · CodePipeline V2 ${formatUsd(cost.codePipelineV2)} (${cost.ratio.toFixed(0)}×)`,
      ],
      ['state transitions', SCENARIOS.map((k) => `${TITLES[k]} ${result.transitions[k]}`).join(' · ')],
      [
        'rollback: first failing request → previous version serving 100%',
        result.rollbackMs === null
          ? 'not measured'
          : `${result.rollbackMs} ms (canary alarm period ${result.canaryPeriodMs} ms = 1 minute at time scale ${result.timeScale})`,
      ],
      ['`cdk synth` (services: seconds)', synth],
      [
        '`cdk synth`, 1,000 services against 10',
        `${result.synthScale.ratio.toFixed(2)}× (medians of ${result.synthScale.samples['10'].length} alternating rounds; ` +
          `10: ${result.synthScale.samples['10'].join(', ')} s; 1,000: ${result.synthScale.samples['1000'].join(', ')} s)`,
      ],
      ['pipeline stack resources (services: count)', resources],
    ],
  );
  const scenarios = table(
    ['release', 'outcome', 'transitions (model)', 'Sluice (model)', 'CodePipeline V2', 'wall time'],
    result.scenarios.map((s) => [
      TITLES[s.key],
      s.outcome,
      `${s.transitions} (${s.modelTransitions})`,
      `${formatUsd(s.sluiceUsd)} (${formatUsd(s.modelUsd)})`,
      formatUsd(s.codePipelineV2Usd),
      `${s.wallSeconds.toFixed(1)} s`,
    ]),
  );
  const handlers = table(
    ['handler', 'bundle KB', 'init ms', 'memory MB', 'median ms', 'invocations'],
    Object.entries(result.handlers).map(([name, h]) => [
      name,
      h.bundleKb.toFixed(0),
      h.initMs.toFixed(1),
      String(h.memoryMb),
      h.invocations ? h.medianMs.toFixed(1) : '–',
      String(h.invocations),
    ]),
  );
  const b = result.costBreakdownUsd;
  return [
    `Sluice benchmark, ${result.measuredAt.slice(0, 10)}: ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, ` +
      `load average ${result.machine.loadAverage.start.toFixed(1)} → ${result.machine.loadAverage.end.toFixed(1)}, ${result.durationSeconds.toFixed(0)} s`,
    '',
    ...headline,
    '',
    `Green release, Sluice: Step Functions ${formatUsd(b.stepFunctions)} · Lambda ${formatUsd(b.lambda)} · DynamoDB ${formatUsd(b.dynamoDb)} · CloudWatch ${formatUsd(b.cloudWatch)} · EventBridge ${formatUsd(b.eventBridge)}`,
    '',
    ...scenarios,
    '',
    ...handlers,
  ].join('\n');
}

/** One line of JSON: the last line of `npm run bench -- --json`. */
export function formatJson(result: BenchResult): string {
  return JSON.stringify(result);
}
