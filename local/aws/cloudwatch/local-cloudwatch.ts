/**
 * The local stand-in for CloudWatch: the metrics services emit (EMF lines on stdout), the requests each alias
 * answered, and alarm states set through SetAlarmState.
 */
import type { Clock } from '../../../lambdas/core/ports';
import { systemClock } from '../../../lambdas/core/ports';
import type { RequestSample } from '../lambda/alias';
import { type MetricPoint, parseEmfLine } from './emf';
import { type AlarmStateChangeEvent, type AlarmStateValue, alarmStateChange } from './events';

export interface LocalCloudWatchOptions {
  /** Receives every alarm's change to ALARM (the runtime forwards it to the alarm-events handler). @default - none */
  readonly onAlarm?: (event: AlarmStateChangeEvent) => Promise<void>;
  /** Stamps events. @default systemClock */
  readonly clock?: Clock;
}

/** Metric points kept per service (the business alarm looks at the last minutes only). */
const MAX_METRIC_POINTS = 20_000;
/** Live-version samples kept per service for preflight's view of the alarms. */
const MAX_LIVE_SAMPLES = 2_000;

export class LocalCloudWatch {
  private readonly metricPoints = new Map<string, MetricPoint[]>();
  private readonly samples = new Map<string, RequestSample[]>();
  /** Alarm states set by SetAlarmState. */
  private readonly alarmStates = new Map<string, { value: AlarmStateValue; reason: string }>();
  private readonly clock: Clock;

  constructor(private readonly options: LocalCloudWatchOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** A line a version of `service` wrote to stdout: CloudWatch Logs extracts the EMF metrics it carries. */
  putLogLine(service: string, version: string, line: string): void {
    const points = parseEmfLine(line, version, Date.now());
    if (points.length === 0) return;
    const kept = this.metricPoints.get(service) ?? [];
    this.metricPoints.set(service, kept);
    kept.push(...points);
    if (kept.length > MAX_METRIC_POINTS) kept.splice(0, kept.length - MAX_METRIC_POINTS / 2);
  }

  /** One request a service's alias answered. */
  putRequestSample(service: string, sample: RequestSample): void {
    const samples = this.samples.get(service) ?? [];
    this.samples.set(service, samples);
    samples.push(sample);
    if (samples.length > MAX_LIVE_SAMPLES) samples.splice(0, samples.length - MAX_LIVE_SAMPLES / 2);
  }

  /** The requests `version` of `service` answered since `since` (epoch ms). */
  requestSamples(service: string, version: string, since: number): RequestSample[] {
    return (this.samples.get(service) ?? []).filter((s) => s.version === version && s.at >= since);
  }

  /** The metric points a service's versions emitted, oldest first. */
  metrics(service: string): readonly MetricPoint[] {
    return this.metricPoints.get(service) ?? [];
  }

  /** Names of the alarms starting with `prefix` whose state is `value`. */
  alarmsInState(prefix: string, value: AlarmStateValue): string[] {
    return [...this.alarmStates]
      .filter(([name, state]) => name.startsWith(prefix) && state.value === value)
      .map(([name]) => name);
  }

  /** SetAlarmState; a change to ALARM is published as an alarm state change event. */
  async setAlarmState(alarmName: string, value: AlarmStateValue, reason: string): Promise<void> {
    const previous = this.alarmStates.get(alarmName)?.value ?? 'OK';
    if (value === 'OK') this.alarmStates.delete(alarmName);
    else this.alarmStates.set(alarmName, { value, reason });
    if (value === 'ALARM' && previous !== 'ALARM') {
      await this.options.onAlarm?.(alarmStateChange(alarmName, value, previous, reason, this.clock.now()));
    }
  }

  /** Publishes an alarm's change to ALARM that was judged elsewhere (the deployment's own check). */
  async publishAlarm(alarmName: string, reason: string): Promise<void> {
    await this.options.onAlarm?.(alarmStateChange(alarmName, 'ALARM', 'OK', reason, this.clock.now()));
  }

  get publishesAlarms(): boolean {
    return this.options.onAlarm !== undefined;
  }
}
