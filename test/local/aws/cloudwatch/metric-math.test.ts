/**
 * Metric math as the user guide defines it ("Using metric math"): parsed, never eval'd; the guide's own
 * examples for comparisons and IF; the missing-value rules of arithmetic and FILL.
 */
import { describe, expect, it } from 'vitest';
import {
  evaluate,
  type MathValue,
  MetricMathError,
  type Points,
  parseExpression,
  referencedIds,
} from '../../../../local/aws/cloudwatch/metric-math';

const _ = undefined;

function run(source: string, metrics: Record<string, Points>): MathValue {
  const slots = Object.values(metrics)[0]?.length ?? 4;
  return evaluate(parseExpression(source), {
    slots,
    metricIds: Object.keys(metrics),
    resolve: (id) => {
      const points = metrics[id];
      if (!points) throw new MetricMathError(`no ${id}`);
      return { kind: 'series', points };
    },
    periodOf: () => 60,
  });
}

function points(source: string, metrics: Record<string, Points>): Points {
  const value = run(source, metrics);
  if (value.kind !== 'series') throw new Error(`expected a series, got ${value.kind}`);
  return value.points;
}

describe('parsing', () => {
  it('respects precedence: OR < AND < comparison < + - < * / < ^ < unary minus', () => {
    expect(points('1 + 2 * m ^ 2', { m: [3] })).toEqual([19]);
    expect(points('-m ^ 2', { m: [3] })).toEqual([-9]);
    expect(points('2 ^ 3 ^ 2 + 0 * m', { m: [1] })).toEqual([512]);
    expect(points('m > 1 AND m < 5 OR m == 9', { m: [0, 3, 9, 7] })).toEqual([0, 1, 1, 0]);
    expect(points('m > 1 && m < 5 || m == 9', { m: [0, 3, 9, 7] })).toEqual([0, 1, 1, 0]);
  });

  it('lists the Ids an expression reads', () => {
    expect(referencedIds(parseExpression('IF(inv > 0, 100 * FILL(err, 0) / inv, 0)'))).toEqual([
      'inv',
      'err',
      'inv',
    ]);
  });

  it('refuses what is not metric math instead of running it', () => {
    expect(() => parseExpression('process.exit(1)')).toThrow(MetricMathError);
    expect(() => parseExpression('m1 +')).toThrow(/expected a value at the end/);
    expect(() => parseExpression('(m1')).toThrow(/expected "\)"/);
    expect(() => parseExpression('m1 ; m2')).toThrow(/unexpected ";"/);
    expect(() => run('EVAL(m)', { m: [1] })).toThrow(/does not evaluate EVAL\(\)/);
  });
});

describe('arithmetic', () => {
  it('treats a value missing on one side as 0, and a slot missing on both sides stays missing', () => {
    expect(points('a + b', { a: [1, _, 3, _], b: [10, 20, _, _] })).toEqual([11, 20, 3, _]);
  });

  it('drops a datapoint that divides by zero', () => {
    // 100 * errors / invocations: a period without invocations has no error rate, not an infinite one.
    expect(
      points('100 * errors / invocations', { errors: [1, 0, _, 0], invocations: [20, 0, _, 5] }),
    ).toEqual([5, _, _, 0]);
  });

  it('applies a scalar to every datapoint present', () => {
    expect(points('m * 2 - 1', { m: [1, _, 3] })).toEqual([1, _, 5]);
  });
});

describe('comparison and logical operators (the user guide example)', () => {
  const metrics = { metric1: [30, 20, 0, 0], metric2: [20, _, 20, _] };
  it.each([
    ['(metric1 < metric2)', [0, 0, 1, 0]],
    ['(metric1 >= 30)', [1, 0, 0, 0]],
    ['(metric1 > 15 AND metric2 > 15)', [1, 0, 0, 0]],
  ])('%s', (source, expected) => expect(points(source, metrics)).toEqual(expected));
});

describe('IF (the user guide tables)', () => {
  const metric1 = [1, 1, 0, 0, _];
  const metric2 = [30, _, 0, 0, 30];
  const metric3 = [0, 0, 20, _, 20];

  it('IF(metric1, metric2, metric3): a true condition over a missing value gives 0; a missing condition, nothing', () => {
    expect(points('IF(metric1, metric2, metric3)', { metric1, metric2, metric3 })).toEqual([30, 0, 20, _, _]);
  });

  it('IF(metric1, scalar, metric3)', () => {
    expect(points('IF(metric1, 5, metric3)', { metric1, metric3 })).toEqual([5, 5, 20, _, _]);
  });

  it('IF(metric1, metric2, scalar)', () => {
    expect(points('IF(metric1, metric2, 5)', { metric1, metric2 })).toEqual([30, 0, 5, 5, _]);
  });

  it('IF(metric1, metric2) drops the datapoints where the condition is false', () => {
    expect(points('IF(metric1, metric2)', { metric1, metric2 })).toEqual([30, 0, _, _, _]);
  });

  it('IF(scalar, metric2, metric3) chooses a whole series; no false value is an empty series', () => {
    expect(points('IF(0, metric2, metric3)', { metric2, metric3 })).toEqual(metric3);
    expect(points('IF(0, metric2)', { metric2 })).toEqual([_, _, _, _, _]);
  });

  it('IF(TS comparison S, ...) as a latency flag', () => {
    expect(points('IF(latency > 400, 1, 0)', { latency: [100, 500, _, 401] })).toEqual([0, 1, _, 1]);
  });
});

describe('FILL', () => {
  it('fills every missing datapoint of the range with a number', () => {
    expect(points('FILL(m, 0)', { m: [_, 2, _, _] })).toEqual([0, 2, 0, 0]);
  });

  it('fills from another series where it has a value', () => {
    expect(points('FILL(a, b)', { a: [_, 2, _], b: [7, 8, _] })).toEqual([7, 2, _]);
  });

  it('REPEAT carries the last value forward; LINEAR interpolates between neighbours', () => {
    expect(points('FILL(m, REPEAT)', { m: [_, 2, _, 5, _] })).toEqual([_, 2, 2, 5, 5]);
    expect(points('FILL(m, LINEAR)', { m: [_, 2, _, 6, _] })).toEqual([_, 2, 4, 6, _]);
  });

  it('makes a silent business metric judge as zero only while there is traffic', () => {
    // The shape an alarm needs to tell "no orders while serving" (breach) from "no traffic at all" (no data).
    const expression = 'IF(invocations > 0, FILL(orders, 0))';
    expect(points(expression, { invocations: [10, _, 10], orders: [3, _, _] })).toEqual([3, _, 0]);
  });
});

describe('functions', () => {
  it('aggregates a series to a scalar and an array to a series', () => {
    expect(points('m - AVG(m)', { m: [1, 3, _] })).toEqual([-1, 1, _]);
    expect(points('SUM([a, b])', { a: [1, _, _], b: [2, 5, _] })).toEqual([3, 5, _]);
    expect(points('MAX(METRICS())', { a: [1, 9], b: [4, 2] })).toEqual([4, 9]);
    expect(points('SUM(METRICS("err"))', { err4xx: [1, 2], err5xx: [3, 4], ok: [100, 100] })).toEqual([4, 6]);
  });

  it('applies per-datapoint functions', () => {
    expect(points('ABS(m)', { m: [-2, _, 3] })).toEqual([2, _, 3]);
    expect(points('CEIL(m) + FLOOR(m)', { m: [1.5] })).toEqual([3]);
    expect(points('m / PERIOD(m)', { m: [120] })).toEqual([2]);
    expect(points('TIME_SERIES(7) + 0 * m', { m: [1, 1] })).toEqual([7, 7]);
  });

  it('gives a scalar for an aggregate of one series', () => {
    expect(run('AVG(m)', { m: [1, 2] })).toEqual({ kind: 'scalar', value: 1.5 });
  });
});
