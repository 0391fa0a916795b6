/**
 * The local CloudWatch end to end, on an injected clock: metrics by exact identity, statistics per period,
 * percentiles on few samples, metric math alarms, compressed periods, SetAlarmState, and the state-change event.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { baselineQueries, versionFigures } from '../../../../lambdas/core/service-alarms';
import { alarmDefinition, InvalidAlarmError } from '../../../../local/aws/cloudwatch/alarm-definition';
import { emfDatums } from '../../../../local/aws/cloudwatch/emf';
import type { AlarmStateChangeEvent } from '../../../../local/aws/cloudwatch/events';
import { LocalCloudWatch } from '../../../../local/aws/cloudwatch/local-cloudwatch';
import { type MetricDatum, MetricStore } from '../../../../local/aws/cloudwatch/metric-store';
import { statisticOf } from '../../../../local/aws/cloudwatch/statistics';
import { invocationMetrics } from '../../../../local/aws/lambda/invocation-metrics';

const T0 = 1_700_000_040_000;
const FN = 'sluice-checkout';
const LIVE = { FunctionName: FN, Resource: `${FN}:live` };

let clouds: LocalCloudWatch[] = [];
afterEach(() => {
  for (const cloud of clouds) cloud.close();
  clouds = [];
  vi.useRealTimers();
});

function cloudWatch(timeScale = 1): {
  cloud: LocalCloudWatch;
  events: AlarmStateChangeEvent[];
  at: (ms: number) => void;
} {
  let now = T0;
  const events: AlarmStateChangeEvent[] = [];
  const cloud = new LocalCloudWatch({
    timeScale,
    now: () => now,
    clock: { now: () => new Date(now) },
    evaluateOnTimer: false,
    onStateChange: async (event) => {
      events.push(event);
    },
  });
  clouds.push(cloud);
  return { cloud, events, at: (ms) => (now = T0 + ms) };
}

function datum(metricName: string, value: number, at: number, dimensions = LIVE): MetricDatum {
  return { namespace: 'AWS/Lambda', metricName, dimensions, timestamp: T0 + at, value };
}

/** The error-rate alarm SluiceService renders today (metric math on the alias), as template Properties. */
const ERROR_RATE_PROPERTIES = {
  AlarmName: 'sluice-checkout-error-rate',
  ComparisonOperator: 'GreaterThanThreshold',
  EvaluationPeriods: 1,
  Threshold: 5,
  TreatMissingData: 'notBreaching',
  Metrics: [
    { Id: 'expr_1', Expression: '100 * errors / invocations', Label: 'Error rate (%)', ReturnData: true },
    ...['errors', 'invocations'].map((id) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: id === 'errors' ? 'Errors' : 'Invocations',
          Dimensions: [
            { Name: 'FunctionName', Value: FN },
            { Name: 'Resource', Value: `${FN}:live` },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
    })),
  ],
};

describe('alarm definitions', () => {
  it('reads template Properties and a PutMetricAlarm input the same way', () => {
    const single = {
      AlarmName: 'sluice-checkout-business',
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      Threshold: 1,
      TreatMissingData: 'breaching',
      Namespace: 'Sluice/Checkout',
      MetricName: 'OrdersCompleted',
      Dimensions: [{ Name: 'Service', Value: 'checkout' }],
      Period: 60,
      Statistic: 'Sum',
    };
    const fromTemplate = alarmDefinition(single);
    // The SDK input type has the same fields; CloudFormation may render numbers as strings.
    const fromApi = alarmDefinition({ ...single, EvaluationPeriods: '2', Threshold: '1' });
    expect(fromApi).toEqual(fromTemplate);
    expect(fromTemplate).toMatchObject({
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      treatMissingData: 'breaching',
      period: 60,
      returnId: 'm1',
      queries: [{ kind: 'metric', stat: 'Sum', metric: { dimensions: { Service: 'checkout' } } }],
    });
    expect(alarmDefinition(ERROR_RATE_PROPERTIES)).toMatchObject({
      returnId: 'expr_1',
      datapointsToAlarm: 1,
    });
  });

  it('defaults as CloudWatch does: M = N, missing data is missing, percentiles evaluate on few samples', () => {
    const definition = alarmDefinition({
      AlarmName: 'a',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      Threshold: 1,
      Namespace: 'N',
      MetricName: 'M',
      Period: 60,
      ExtendedStatistic: 'p99',
    });
    expect(definition).toMatchObject({
      datapointsToAlarm: 3,
      treatMissingData: 'missing',
      evaluateLowSampleCountPercentile: 'evaluate',
    });
  });

  it.each([
    [{ DatapointsToAlarm: 4 }, /DatapointsToAlarm \(4\) cannot exceed EvaluationPeriods \(3\)/],
    [{ Statistic: undefined }, /exactly one of Statistic and ExtendedStatistic/],
    [{ Statistic: 'tm99' }, /does not compute the statistic "tm99"/],
    [{ Period: 45 }, /Period must be 10, 20, 30 or a multiple of 60/],
    [{ ComparisonOperator: 'GreaterThanUpperThreshold' }, /anomaly detection band/],
    [{ TreatMissingData: 'zero' }, /TreatMissingData must be one of/],
  ])('refuses %j', (change, message) => {
    const base = {
      AlarmName: 'a',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      Threshold: 1,
      Namespace: 'N',
      MetricName: 'M',
      Period: 60,
      Statistic: 'Sum',
    };
    expect(() => alarmDefinition({ ...base, ...change })).toThrow(InvalidAlarmError);
    expect(() => alarmDefinition({ ...base, ...change })).toThrow(message);
  });

  it('refuses metric math that refers to an unknown Id or returns twice', () => {
    const [expression, errors] = ERROR_RATE_PROPERTIES.Metrics;
    expect(() => alarmDefinition({ ...ERROR_RATE_PROPERTIES, Metrics: [expression, errors] })).toThrow(
      /refers to invocations, which is not in Metrics/,
    );
    expect(() =>
      alarmDefinition({
        ...ERROR_RATE_PROPERTIES,
        Metrics: ERROR_RATE_PROPERTIES.Metrics.map((m) => ({ ...m, ReturnData: true })),
      }),
    ).toThrow(/exactly one of Metrics must have ReturnData true/);
  });
});

describe('the metric store', () => {
  it('answers by time range whatever the arrival order, and lets datapoints expire after the retention', () => {
    const store = new MetricStore({ retentionMs: 1000 });
    const metric = { namespace: 'N', metricName: 'M', dimensions: { A: 'a' } };
    for (const at of [10, 30, 20, 40]) store.put({ ...metric, timestamp: T0 + at, value: at });
    expect(store.values(metric, T0 + 15, T0 + 40)).toEqual([20, 30]);
    expect(store.values({ ...metric, dimensions: {} }, T0, T0 + 100)).toEqual([]);
    store.put({ ...metric, timestamp: T0 + 2000, value: 1 });
    expect(store.values(metric, T0, T0 + 100)).toEqual([]);
    expect(store.values(metric, T0, T0 + 3000)).toEqual([1]);
    expect(store.list({ namespace: 'N' })).toEqual([metric]);
  });
});

describe('statistics', () => {
  it('p99 of few samples is the largest (nearest rank), not an interpolation, and not skipped', () => {
    expect(statisticOf([10, 10, 900], 'p99')).toBe(900);
    expect(
      statisticOf(
        Array.from({ length: 200 }, (_, i) => i + 1),
        'p99',
      ),
    ).toBe(198);
    expect(statisticOf([5, 1, 3], 'p50')).toBe(3);
  });

  it('has no datapoint for a period without values, whatever the statistic (Sum of nothing is missing, not 0)', () => {
    for (const stat of ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum', 'p99'])
      expect(statisticOf([], stat), stat).toBeUndefined();
  });
});

describe('Lambda invocation metrics', () => {
  it('publishes Invocations, Errors and Duration by function, by alias and by executed version', () => {
    const datums = invocationMetrics({
      functionName: FN,
      version: '7',
      alias: 'live',
      startedAt: T0,
      durationMs: 12,
      functionError: false,
    });
    const ids = datums.map((d) => `${d.metricName} ${JSON.stringify(d.dimensions)} = ${d.value}`);
    expect(ids).toEqual([
      `Invocations {"FunctionName":"${FN}"} = 1`,
      `Errors {"FunctionName":"${FN}"} = 0`,
      `Duration {"FunctionName":"${FN}"} = 12`,
      `Invocations {"FunctionName":"${FN}","Resource":"${FN}:live"} = 1`,
      `Errors {"FunctionName":"${FN}","Resource":"${FN}:live"} = 0`,
      `Duration {"FunctionName":"${FN}","Resource":"${FN}:live"} = 12`,
      `Invocations {"FunctionName":"${FN}","Resource":"${FN}:live","ExecutedVersion":"7"} = 1`,
      `Errors {"FunctionName":"${FN}","Resource":"${FN}:live","ExecutedVersion":"7"} = 0`,
      `Duration {"FunctionName":"${FN}","Resource":"${FN}:live","ExecutedVersion":"7"} = 12`,
    ]);
  });

  it('names the version as the Resource of a version invocation, with no ExecutedVersion', () => {
    const datums = invocationMetrics({
      functionName: FN,
      version: '7',
      startedAt: T0,
      durationMs: 3,
      functionError: true,
    });
    expect(datums.filter((d) => d.metricName === 'Errors').map((d) => d.dimensions)).toEqual([
      { FunctionName: FN },
      { FunctionName: FN, Resource: `${FN}:7` },
    ]);
    expect(datums.find((d) => d.metricName === 'Errors')?.value).toBe(1);
  });

  it('counts an invocation in the period it finished in, when Lambda sends its metrics', () => {
    const datums = invocationMetrics({
      functionName: FN,
      version: '7',
      alias: 'live',
      startedAt: T0,
      durationMs: 800,
      functionError: false,
    });
    expect(new Set(datums.map((d) => d.timestamp))).toEqual(new Set([T0 + 800]));
  });
});

describe('EMF', () => {
  const line = (doc: object) => JSON.stringify(doc);

  it('extracts each metric for each dimension set, with the document Timestamp', () => {
    const datums = emfDatums(
      `2024-01-01T00:00:00Z\t${line({
        _aws: {
          Timestamp: T0,
          CloudWatchMetrics: [
            {
              Namespace: 'Sluice/Checkout',
              Dimensions: [['Service'], ['Service', 'Version']],
              Metrics: [{ Name: 'Orders', Unit: 'Count' }],
            },
          ],
        },
        Service: 'checkout',
        Version: '7',
        Orders: [1, 2],
      })}`,
      T0 + 5000,
    );
    expect(datums.map((d) => [d.dimensions, d.value, d.timestamp])).toEqual([
      [{ Service: 'checkout' }, 1, T0],
      [{ Service: 'checkout' }, 2, T0],
      [{ Service: 'checkout', Version: '7' }, 1, T0],
      [{ Service: 'checkout', Version: '7' }, 2, T0],
    ]);
  });

  it.each([
    ['a dimension whose value is not a string', { Service: 3, Orders: 1 }],
    ['a metric whose value is not a number', { Service: 'x', Orders: 'one' }],
    ['a directive without Dimensions', { Service: 'x', Orders: 1, noDimensions: true }],
  ])('extracts nothing from a document with %s', (_, root) => {
    const { noDimensions, ...members } = root as Record<string, unknown>;
    const directive = {
      Namespace: 'N',
      ...(noDimensions ? {} : { Dimensions: [['Service']] }),
      Metrics: [{ Name: 'Orders' }],
    };
    expect(
      emfDatums(line({ _aws: { Timestamp: T0, CloudWatchMetrics: [directive] }, ...members }), T0),
    ).toEqual([]);
  });

  it('ignores lines that are not EMF', () => {
    expect(emfDatums('GET / 200', T0)).toEqual([]);
    expect(emfDatums('{"_aws": broken', T0)).toEqual([]);
  });
});

describe('alarm evaluation over stored metrics', () => {
  it('judges the error rate per compressed period: at time scale 60 a 60 s period lasts 1 s', async () => {
    const { cloud, events, at } = cloudWatch(60);
    cloud.putMetricAlarm(ERROR_RATE_PROPERTIES);
    // Second 1: 1 error in 40 invocations (2.5%). Second 2: 4 in 40 (10%).
    for (let i = 0; i < 40; i++) {
      cloud.putMetricData([
        datum('Invocations', 1, 1000 + i * 20),
        datum('Errors', i < 1 ? 1 : 0, 1000 + i * 20),
      ]);
      cloud.putMetricData([
        datum('Invocations', 1, 2000 + i * 20),
        datum('Errors', i < 4 ? 1 : 0, 2000 + i * 20),
      ]);
    }
    at(2000);
    expect((await cloud.evaluateAlarm('sluice-checkout-error-rate'))?.state).toBe('OK');
    at(3000);
    const judgment = await cloud.evaluateAlarm('sluice-checkout-error-rate');
    expect(judgment?.state).toBe('ALARM');
    expect(judgment?.reason).toMatch(/\[10 \(.*\)\] was greater than the threshold \(5\)/);
    expect(cloud.describeAlarms({ state: 'ALARM' }).map((a) => a.name)).toEqual([
      'sluice-checkout-error-rate',
    ]);
    expect(events.map((e) => `${e.detail.previousState.value} -> ${e.detail.state.value}`)).toEqual([
      'INSUFFICIENT_DATA -> OK',
      'OK -> ALARM',
    ]);
  });

  it('matches a metric by its exact dimensions: by-version datapoints are not the alias metric', async () => {
    const { cloud, at } = cloudWatch(60);
    cloud.putMetricAlarm(ERROR_RATE_PROPERTIES);
    const byVersion = { ...LIVE, ExecutedVersion: '2' };
    for (let i = 0; i < 10; i++)
      cloud.putMetricData([
        datum('Invocations', 1, 1000 + i, byVersion),
        datum('Errors', 1, 1000 + i, byVersion),
      ]);
    at(2000);
    // Nothing on the alias itself: no data, treated as not breaching.
    expect((await cloud.evaluateAlarm('sluice-checkout-error-rate'))?.state).toBe('OK');
  });

  it('EvaluateLowSampleCountPercentile ignore keeps the state while p99 rests on few samples; evaluate judges them', async () => {
    const { cloud, at } = cloudWatch(60);
    const alarm = {
      AlarmName: 'p99',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      Threshold: 500,
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: [
        { Name: 'FunctionName', Value: FN },
        { Name: 'Resource', Value: `${FN}:live` },
      ],
      Period: 60,
      ExtendedStatistic: 'p99',
      TreatMissingData: 'notBreaching',
    };
    cloud.putMetricAlarm({ ...alarm, AlarmName: 'evaluate' });
    cloud.putMetricAlarm({ ...alarm, AlarmName: 'ignore', EvaluateLowSampleCountPercentile: 'ignore' });
    cloud.putMetricData([
      datum('Duration', 10, 1000),
      datum('Duration', 12, 1001),
      datum('Duration', 800, 1002),
    ]);
    at(2000);
    expect((await cloud.evaluateAlarm('evaluate'))?.state).toBe('ALARM');
    expect((await cloud.evaluateAlarm('ignore'))?.state).toBe('INSUFFICIENT_DATA');
  });

  it('SetAlarmState lasts until the next evaluation, and each change is an Alarm State Change event', async () => {
    const { cloud, events, at } = cloudWatch(60);
    cloud.putMetricAlarm(ERROR_RATE_PROPERTIES);
    await cloud.setAlarmState('sluice-checkout-error-rate', 'ALARM', 'testing the pager');
    expect(cloud.describeAlarms({ prefix: 'sluice-checkout-', state: 'ALARM' })).toHaveLength(1);
    at(1000);
    await cloud.evaluateAlarm('sluice-checkout-error-rate');
    expect(cloud.describeAlarms({ state: 'ALARM' })).toHaveLength(0);
    const [set, back] = events;
    expect(set).toMatchObject({
      version: '0',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      resources: [
        expect.stringMatching(/^arn:aws:cloudwatch:[^:]+:\d{12}:alarm:sluice-checkout-error-rate$/),
      ],
      detail: {
        alarmName: 'sluice-checkout-error-rate',
        state: { value: 'ALARM', reason: 'testing the pager' },
        previousState: { value: 'INSUFFICIENT_DATA' },
        configuration: {
          metrics: [
            { id: 'expr_1', expression: '100 * errors / invocations', returnData: true },
            {
              id: 'errors',
              metricStat: {
                metric: { name: 'Errors', namespace: 'AWS/Lambda', dimensions: LIVE },
                period: 60,
                stat: 'Sum',
              },
              returnData: false,
            },
            expect.objectContaining({ id: 'invocations' }),
          ],
        },
      },
    });
    expect(set?.detail.state.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(back?.detail.state).toMatchObject({ value: 'OK', reason: expect.stringMatching(/NonBreaching/) });
    expect(JSON.parse(back?.detail.state.reasonData ?? '{}')).toMatchObject({ version: '1.0', period: 60 });
  });

  it('shows a change in DescribeAlarms only once its event was delivered', async () => {
    let release: () => void = () => undefined;
    let seenWhileDelivering: string[] = [];
    let now = T0;
    const cloud: LocalCloudWatch = new LocalCloudWatch({
      timeScale: 60,
      now: () => now,
      evaluateOnTimer: false,
      onStateChange: (event) => {
        seenWhileDelivering = cloud.describeAlarms({ state: event.detail.state.value }).map((a) => a.name);
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    });
    clouds.push(cloud);
    cloud.putMetricAlarm({ ...ERROR_RATE_PROPERTIES, TreatMissingData: 'breaching' });
    now += 1000;
    const evaluation = cloud.evaluateAlarm('sluice-checkout-error-rate');
    await vi.waitFor(() => expect(seenWhileDelivering).toEqual([]));
    expect(cloud.describeAlarms()[0]?.state).toBe('INSUFFICIENT_DATA');
    release();
    await evaluation;
    expect(cloud.describeAlarms()[0]?.state).toBe('ALARM');
  });

  it('evaluates on its own timer every compressed minute', async () => {
    vi.useFakeTimers({ now: T0 });
    const events: AlarmStateChangeEvent[] = [];
    const cloud = new LocalCloudWatch({
      timeScale: 60,
      onStateChange: async (event) => {
        events.push(event);
      },
    });
    clouds.push(cloud);
    cloud.putMetricAlarm({ ...ERROR_RATE_PROPERTIES, TreatMissingData: 'breaching' });
    await vi.advanceTimersByTimeAsync(999);
    expect(events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.map((e) => e.detail.state.value)).toEqual(['ALARM']);
  });
});

describe('GetMetricData', () => {
  it("reads a canary's baseline over one window with the alarms' queries: invocations, error rate, p99", () => {
    const { cloud } = cloudWatch();
    const invoke = (version: string, at: number, durationMs: number, functionError: boolean) =>
      cloud.putMetricData(
        invocationMetrics({
          functionName: FN,
          version,
          alias: 'live',
          startedAt: T0 + at,
          durationMs,
          functionError,
        }),
      );
    for (let i = 0; i < 9; i++) invoke('7', i * 1000, 10, false);
    for (let i = 0; i < 4; i++) invoke('8', i * 1000, 100 + i, i % 2 === 0);
    invoke('8', -5_000, 999, true); // before the window
    const queries = [
      ...baselineQueries('checkout', '8', 'canary', 300),
      ...baselineQueries('checkout', '7', 'previous', 300),
    ];
    const values = cloud.getMetricData(queries, T0, T0 + 300_000);
    expect(versionFigures((id) => values.get(id), 'canary', '8')).toEqual({
      version: '8',
      invocations: 4,
      errorRatePercent: 50,
      p99LatencyMs: 103,
    });
    expect(versionFigures((id) => values.get(id), 'previous', '7')).toEqual({
      version: '7',
      invocations: 9,
      errorRatePercent: 0,
      p99LatencyMs: 10,
    });
    // A version without invocations in the window: no rate, no p99.
    const none = cloud.getMetricData(baselineQueries('checkout', '9', 'canary', 300), T0, T0 + 300_000);
    expect(versionFigures((id) => none.get(id), 'canary', '9')).toEqual({ version: '9', invocations: 0 });
  });
});
