/**
 * The local stand-in for CloudWatch: metrics (PutMetricData, and the EMF lines CloudWatch Logs extracts), metric
 * alarms defined as PutMetricAlarm or a template defines them, evaluated on a timer with CloudWatch's rules, and an
 * "Alarm State Change" event for every change of state. Time is compressed: at timeScale 60 an alarm with a 60 s
 * period evaluates every second over one-second periods.
 */
import { type Clock, systemClock } from '../../../lambdas/core/ports';
import {
  type AlarmDefinition,
  type AlarmQuery,
  alarmDefinition,
  type MetricAlarmInput,
} from './alarm-definition';
import { evaluationRange, type Judgment, judge } from './alarm-evaluation';
import { emfDatums } from './emf';
import { type AlarmStateChangeEvent, type AlarmStateValue, alarmStateChange } from './events';
import { evaluate, type MathValue, MetricMathError, type Points } from './metric-math';
import { type MetricDatum, MetricStore } from './metric-store';
import { lowSampleCountFor, percentileOf, statisticOf } from './statistics';

export interface LocalCloudWatchOptions {
  /** CloudWatch time runs this many times faster than real time. @default 1 */
  readonly timeScale?: number;
  /** Real time in epoch ms (injected by tests). @default Date.now */
  readonly now?: () => number;
  /** Stamps state changes and events. @default systemClock */
  readonly clock?: Clock;
  /**
   * Receives every alarm state change (the runtime puts it on the local event bus, as CloudWatch puts it on
   * EventBridge). A change takes effect in DescribeAlarms once this has returned, or after `deliveryTimeoutMs`.
   * @default - none
   */
  readonly onStateChange?: (event: AlarmStateChangeEvent) => Promise<void>;
  /** @default 2000 */
  readonly deliveryTimeoutMs?: number;
  /** Evaluate every alarm on its own timer; false leaves it to evaluateAlarm() (tests). @default true */
  readonly evaluateOnTimer?: boolean;
  /** Problems worth a line (an alarm that cannot be evaluated). @default - silent */
  readonly log?: (line: string) => void;
}

export interface AlarmDescription {
  readonly name: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** ISO 8601. */
  readonly updatedAt: string;
  readonly definition: AlarmDefinition;
}

/** A metric value one version of a function wrote as an EMF log line: where the metric came from. */
export interface LoggedMetric {
  readonly functionName: string;
  readonly version: string;
  /** Epoch ms. */
  readonly at: number;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

interface AlarmEntry {
  definition: AlarmDefinition;
  state: AlarmStateValue;
  reason: string;
  reasonData: string;
  updatedAt: Date;
  timer?: NodeJS.Timeout;
  /** Evaluations and deliveries of one alarm run one at a time. */
  queue: Promise<unknown>;
}

/** CloudWatch's DescribeAlarms / SetAlarmState ResourceNotFound. */
export class UnknownAlarmError extends Error {
  override readonly name = 'ResourceNotFound';
}

const MAX_LOGGED_METRICS = 20_000;

/** "2019-10-02T17:04:40.989+0000", as CloudWatch stamps states and datapoints. */
function cloudWatchTime(at: Date | number): string {
  return new Date(at).toISOString().replace('Z', '+0000');
}

export class LocalCloudWatch {
  readonly store = new MetricStore();
  private readonly alarms = new Map<string, AlarmEntry>();
  private readonly logged: LoggedMetric[] = [];
  private readonly timeScale: number;
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private closed = false;

  constructor(private readonly options: LocalCloudWatchOptions = {}) {
    const timeScale = options.timeScale ?? 1;
    if (!Number.isFinite(timeScale) || timeScale <= 0)
      throw new Error(`timeScale must be a positive number, got ${timeScale}`);
    this.timeScale = timeScale;
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
  }

  /** Real ms one period of `seconds` lasts. */
  realMs(seconds: number): number {
    return (seconds * 1000) / this.timeScale;
  }

  putMetricData(datums: readonly MetricDatum[]): void {
    for (const datum of datums) this.store.put(datum);
  }

  /**
   * One line a function version wrote to its log: CloudWatch Logs extracts the metrics of an EMF document (the
   * function's log stream names the version; the metrics themselves carry only their own dimensions).
   */
  putLogLine(functionName: string, version: string, line: string): void {
    const datums = emfDatums(line, this.now());
    if (datums.length === 0) return;
    this.putMetricData(datums);
    for (const d of datums) {
      this.logged.push({
        functionName,
        version,
        at: d.timestamp,
        namespace: d.namespace,
        name: d.metricName,
        dimensions: d.dimensions,
        value: d.value,
      });
    }
    if (this.logged.length > MAX_LOGGED_METRICS)
      this.logged.splice(0, this.logged.length - MAX_LOGGED_METRICS / 2);
  }

  /** The EMF metrics a function's versions logged, oldest first. */
  loggedMetrics(functionName: string): LoggedMetric[] {
    return this.logged.filter((m) => m.functionName === functionName);
  }

  /**
   * PutMetricAlarm (or an alarm a template defines). A new alarm starts in INSUFFICIENT_DATA; redefining one keeps
   * its state, as CloudWatch does, and changes only how it is evaluated from now on.
   */
  putMetricAlarm(input: MetricAlarmInput): AlarmDefinition {
    if (this.closed) throw new Error('The local CloudWatch is closed');
    const definition = alarmDefinition(input);
    const existing = this.alarms.get(definition.name);
    if (existing?.timer) clearInterval(existing.timer);
    const entry: AlarmEntry = existing ?? {
      definition,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      reasonData: '',
      updatedAt: this.clock.now(),
      queue: Promise.resolve(),
    };
    entry.definition = definition;
    entry.timer = undefined;
    this.alarms.set(definition.name, entry);
    const lookBack = this.realMs(definition.period * evaluationRange(definition.evaluationPeriods));
    this.store.retentionMs = Math.max(this.store.retentionMs, lookBack * 2);
    if (this.options.evaluateOnTimer ?? true) {
      // CloudWatch evaluates every minute, or every period when it is shorter.
      const every = this.realMs(Math.min(definition.period, 60));
      entry.timer = setInterval(() => {
        this.evaluateAlarm(definition.name).catch((error: Error) =>
          this.log(`CloudWatch: ${definition.name} was not evaluated: ${error.message}`),
        );
      }, every);
      entry.timer.unref();
    }
    return definition;
  }

  deleteAlarms(names: readonly string[]): void {
    for (const name of names) {
      const entry = this.alarms.get(name);
      if (entry?.timer) clearInterval(entry.timer);
      this.alarms.delete(name);
    }
  }

  /** DescribeAlarms: by exact names, by name prefix, and by state. */
  describeAlarms(
    filter: { names?: readonly string[]; prefix?: string; state?: AlarmStateValue } = {},
  ): AlarmDescription[] {
    return [...this.alarms.values()]
      .filter(({ definition, state }) => {
        if (filter.names && !filter.names.includes(definition.name)) return false;
        if (filter.prefix !== undefined && !definition.name.startsWith(filter.prefix)) return false;
        return filter.state === undefined || state === filter.state;
      })
      .map(({ definition, state, reason, updatedAt }) => ({
        name: definition.name,
        state,
        reason,
        updatedAt: updatedAt.toISOString(),
        definition,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** SetAlarmState: the state holds until the alarm's next evaluation, as in CloudWatch. */
  async setAlarmState(name: string, value: AlarmStateValue, reason: string): Promise<void> {
    const entry = this.alarms.get(name);
    if (!entry) throw new UnknownAlarmError(`Alarm ${name} does not exist in the local CloudWatch`);
    await this.enqueue(entry, async () => {
      const previous = this.snapshot(entry);
      entry.state = value;
      entry.reason = reason;
      entry.reasonData = '';
      entry.updatedAt = this.clock.now();
      if (previous.state !== value) await this.deliver(entry, previous);
    });
  }

  /**
   * Evaluates one alarm now, over the periods that ended now. A change of state is delivered as an event first,
   * then takes effect.
   */
  evaluateAlarm(name: string): Promise<Judgment | undefined> {
    const entry = this.alarms.get(name);
    if (!entry)
      return Promise.reject(new UnknownAlarmError(`Alarm ${name} does not exist in the local CloudWatch`));
    return this.enqueue(entry, async () => {
      if (this.closed || this.alarms.get(name) !== entry) return undefined;
      const { definition } = entry;
      const at = this.now();
      const periodMs = this.realMs(definition.period);
      const slots = evaluationRange(definition.evaluationPeriods);
      const starts = Array.from({ length: slots }, (_, k) => at - (slots - k) * periodMs);
      let range: Points;
      try {
        range = this.rangeOf(definition, starts, periodMs);
      } catch (error) {
        if (error instanceof MetricMathError) {
          this.log(`CloudWatch: ${name} cannot be evaluated: ${error.message}`);
          return undefined;
        }
        throw error;
      }
      const stamp = (index: number) => cloudWatchTime(starts[index] as number);
      const judgment =
        this.lowSampleHold(definition, entry, starts, periodMs) ??
        judge(definition, range, entry.state, stamp);
      const reasonData = JSON.stringify({
        version: '1.0',
        queryDate: cloudWatchTime(at),
        startDate: stamp(0),
        ...(definition.queries.length === 1
          ? { statistic: (definition.queries[0] as { stat: string }).stat }
          : {}),
        period: definition.period,
        recentDatapoints: judgment.evaluated.map((i) => range[i]),
        threshold: definition.threshold,
        evaluatedDatapoints: judgment.evaluated.map((i) => ({ timestamp: stamp(i), value: range[i] })),
      });
      if (judgment.state !== entry.state) {
        const previous = this.snapshot(entry);
        const next = { state: judgment.state, reason: judgment.reason, reasonData };
        await this.deliver({ ...entry, ...next, updatedAt: this.clock.now() }, previous);
        Object.assign(entry, next, { updatedAt: this.clock.now() });
      }
      return judgment;
    });
  }

  /**
   * GetMetricData over one period, [start, end) in real ms: the value of each query that returns data
   * (undefined: no datapoint). The queries are read and evaluated as an alarm's `Metrics` are.
   */
  getMetricData(
    metrics: readonly { readonly Id: string; readonly ReturnData?: boolean }[],
    start: number,
    end: number,
  ): Map<string, number | undefined> {
    const values = new Map<string, number | undefined>();
    for (const { Id } of metrics.filter((q) => q.ReturnData !== false)) {
      // One query returning data at a time: an alarm's Metrics return exactly one.
      const definition = alarmDefinition({
        AlarmName: `GetMetricData ${Id}`,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        Metrics: metrics.map((q) => ({ ...q, ReturnData: q.Id === Id })),
      });
      values.set(Id, this.rangeOf(definition, [start], end - start)[0]);
    }
    return values;
  }

  /** Stops every alarm's timer. */
  close(): void {
    this.closed = true;
    for (const entry of this.alarms.values()) if (entry.timer) clearInterval(entry.timer);
  }

  private snapshot(entry: AlarmEntry): {
    state: AlarmStateValue;
    reason: string;
    reasonData: string;
    updatedAt: Date;
  } {
    return {
      state: entry.state,
      reason: entry.reason,
      reasonData: entry.reasonData,
      updatedAt: entry.updatedAt,
    };
  }

  private enqueue<T>(entry: AlarmEntry, work: () => Promise<T>): Promise<T> {
    const run = entry.queue.then(work, work);
    entry.queue = run.catch(() => undefined);
    return run;
  }

  private async deliver(
    entry: Pick<AlarmEntry, 'definition' | 'state' | 'reason' | 'reasonData' | 'updatedAt'>,
    previous: { state: AlarmStateValue; reason: string; reasonData: string; updatedAt: Date },
  ): Promise<void> {
    const receiver = this.options.onStateChange;
    if (!receiver) return;
    const event = alarmStateChange({
      definition: entry.definition,
      state: {
        value: entry.state,
        reason: entry.reason,
        reasonData: entry.reasonData,
        timestamp: cloudWatchTime(entry.updatedAt),
      },
      previousState: {
        value: previous.state,
        reason: previous.reason,
        ...(previous.reasonData ? { reasonData: previous.reasonData } : {}),
        timestamp: cloudWatchTime(previous.updatedAt),
      },
      at: entry.updatedAt,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      // Bounded: a slow receiver must not hold the alarm's state back.
      await Promise.race([
        receiver(event),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.options.deliveryTimeoutMs ?? 2000);
          timer.unref();
        }),
      ]);
    } catch (error) {
      this.log(
        `CloudWatch: the state change of ${entry.definition.name} was not handled: ${(error as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The alarm's value in each slot of its evaluation range. */
  private rangeOf(definition: AlarmDefinition, starts: readonly number[], periodMs: number): Points {
    const byId = new Map(definition.queries.map((q) => [q.id, q]));
    const values = new Map<string, MathValue>();
    const resolving = new Set<string>();
    const metricPoints = (query: Extract<AlarmQuery, { kind: 'metric' }>): Points =>
      starts.map((start) =>
        statisticOf(this.store.values(query.metric, start, start + periodMs), query.stat),
      );
    const resolve = (id: string): MathValue => {
      const known = values.get(id);
      if (known) return known;
      const query = byId.get(id);
      if (!query) throw new MetricMathError(`${id} is not one of the alarm's Metrics`);
      if (resolving.has(id)) throw new MetricMathError(`${id} refers to itself`);
      resolving.add(id);
      const value: MathValue =
        query.kind === 'metric'
          ? { kind: 'series', points: metricPoints(query) }
          : evaluate(query.expression, {
              slots: starts.length,
              resolve,
              metricIds: definition.queries.filter((q) => q.kind === 'metric').map((q) => q.id),
              periodOf: (ref) => {
                const target = byId.get(ref);
                if (target?.kind !== 'metric') throw new MetricMathError(`PERIOD(${ref}) needs a metric`);
                return target.period;
              },
            });
      resolving.delete(id);
      values.set(id, value);
      return value;
    };
    const result = resolve(definition.returnId);
    if (result.kind !== 'series')
      throw new MetricMathError(
        `${definition.returnId} must give a single time series, not a ${result.kind}`,
      );
    return result.points;
  }

  /**
   * EvaluateLowSampleCountPercentile `ignore`: while a percentile rests on fewer samples than CloudWatch deems
   * significant (1000 for p99), the alarm keeps its state.
   */
  private lowSampleHold(
    definition: AlarmDefinition,
    entry: AlarmEntry,
    starts: readonly number[],
    periodMs: number,
  ): Judgment | undefined {
    if (definition.evaluateLowSampleCountPercentile !== 'ignore' || definition.queries.length !== 1)
      return undefined;
    const query = definition.queries[0] as AlarmQuery;
    const fraction = query.kind === 'metric' ? percentileOf(query.stat) : undefined;
    if (query.kind !== 'metric' || fraction === undefined) return undefined;
    const recent = starts.slice(-definition.evaluationPeriods);
    const low = recent.some((start) => {
      const count = this.store.values(query.metric, start, start + periodMs).length;
      return count > 0 && count < lowSampleCountFor(fraction);
    });
    if (!low) return undefined;
    return {
      state: entry.state,
      reason: `${query.stat} rests on too few samples; EvaluateLowSampleCountPercentile is ignore, so the state is kept.`,
      evaluated: [],
      realDatapoints: 0,
      filledDatapoints: 0,
      breachingDatapoints: 0,
    };
  }
}
