/**
 * CloudWatch metric math, parsed (never eval'd) and evaluated over the slots of an alarm's evaluation range:
 * arithmetic, comparison and logical operators, IF, FILL and the per-datapoint and aggregate functions, with the
 * rules the CloudWatch user guide gives for missing values ("Using metric math").
 */
import { type BinaryOp, type Expr, MetricMathError } from './metric-math-parser';

export { type Expr, MetricMathError, parseExpression, referencedIds } from './metric-math-parser';

/** One value per slot of the range, oldest first; undefined where the series has no datapoint. */
export type Points = readonly (number | undefined)[];

export type MathValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly points: Points }
  | { readonly kind: 'array'; readonly series: readonly Points[] }
  | { readonly kind: 'keyword'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string };

export interface MathContext {
  /** Slots in the range (the alarm's evaluation range). */
  readonly slots: number;
  /** The value of a metric or expression Id. */
  resolve(id: string): MathValue;
  /** Ids of the metrics (not expressions) in the query, for METRICS(). */
  readonly metricIds: readonly string[];
  /** Period in seconds of a metric Id, for PERIOD(). */
  periodOf(id: string): number;
}

const scalar = (value: number): MathValue => ({ kind: 'scalar', value });
const series = (points: Points): MathValue => ({ kind: 'series', points });
const truthy = (value: number): boolean => value !== 0;

function arithmetic(op: BinaryOp, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      // "If the value of a data point causes a function to attempt to divide by zero, the data point is dropped."
      return b === 0 ? undefined : a / b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case 'AND':
      return truthy(a) && truthy(b) ? 1 : 0;
    case 'OR':
      return truthy(a) || truthy(b) ? 1 : 0;
  }
}

/** TS op TS: a slot where only one side has a value treats the other as 0; where neither has one, none. */
function combine(op: BinaryOp, left: Points, right: Points): Points {
  return left.map((a, i) => {
    const b = right[i];
    if (a === undefined && b === undefined) return undefined;
    return arithmetic(op, a ?? 0, b ?? 0);
  });
}

function mapPoints(points: Points, fn: (value: number) => number | undefined): Points {
  return points.map((value) => (value === undefined ? undefined : fn(value)));
}

function present(points: Points): number[] {
  return points.filter((value): value is number => value !== undefined);
}

function asSeriesList(value: MathValue, what: string): readonly Points[] {
  if (value.kind === 'series') return [value.points];
  if (value.kind === 'array') return value.series;
  throw new MetricMathError(`${what} needs a time series or an array of time series, got a ${value.kind}`);
}

/** Applies `fn` to each datapoint of a TS, of each TS of a TS[], or to a scalar. */
function perPoint(value: MathValue, fn: (v: number) => number | undefined, what: string): MathValue {
  if (value.kind === 'scalar') {
    const out = fn(value.value);
    if (out === undefined) throw new MetricMathError(`${what} of ${value.value} has no value`);
    return scalar(out);
  }
  if (value.kind === 'series') return series(mapPoints(value.points, fn));
  if (value.kind === 'array') return { kind: 'array', series: value.series.map((p) => mapPoints(p, fn)) };
  throw new MetricMathError(`${what} needs a number or time series, got a ${value.kind}`);
}

function binary(op: BinaryOp, left: MathValue, right: MathValue): MathValue {
  if (left.kind === 'scalar' && right.kind === 'scalar') {
    const value = arithmetic(op, left.value, right.value);
    if (value === undefined) throw new MetricMathError(`${left.value} ${op} ${right.value} divides by zero`);
    return scalar(value);
  }
  if (left.kind === 'array' || right.kind === 'array') {
    if (left.kind === 'array' && right.kind === 'array')
      throw new MetricMathError(`${op} between two arrays of time series is not defined`);
    const array = (left.kind === 'array' ? left : right) as Extract<MathValue, { kind: 'array' }>;
    return {
      kind: 'array',
      series: array.series.map((points) => {
        const item = series(points);
        const out = left.kind === 'array' ? binary(op, item, right) : binary(op, left, item);
        return (out as Extract<MathValue, { kind: 'series' }>).points;
      }),
    };
  }
  if (left.kind === 'series' && right.kind === 'series')
    return series(combine(op, left.points, right.points));
  if (left.kind === 'series' && right.kind === 'scalar')
    return series(mapPoints(left.points, (a) => arithmetic(op, a, right.value)));
  if (left.kind === 'scalar' && right.kind === 'series')
    return series(mapPoints(right.points, (b) => arithmetic(op, left.value, b)));
  throw new MetricMathError(`${op} needs numbers or time series, got a ${left.kind} and a ${right.kind}`);
}

/** IF(condition, trueValue, falseValue?) as the user guide's "Using IF expressions" defines it. */
function ifExpression(args: readonly MathValue[], slots: number): MathValue {
  const [condition, whenTrue, whenFalse] = args;
  if (!condition || !whenTrue || args.length > 3)
    throw new MetricMathError('IF takes a condition, a value if true and an optional value if false');
  for (const value of [whenTrue, whenFalse]) {
    if (value && value.kind !== 'scalar' && value.kind !== 'series')
      throw new MetricMathError(`IF's values must be numbers or time series, got a ${value.kind}`);
  }
  if (condition.kind === 'scalar') {
    const chosen = truthy(condition.value) ? whenTrue : whenFalse;
    // "is an empty time series, if metric3 is omitted"
    if (!chosen) return series(new Array<undefined>(slots).fill(undefined));
    return chosen.kind === 'scalar' ? series(new Array<number>(slots).fill(chosen.value)) : chosen;
  }
  if (condition.kind !== 'series')
    throw new MetricMathError(`IF's condition must be a number or a time series, got a ${condition.kind}`);
  const valueAt = (value: MathValue | undefined, i: number): number | undefined =>
    value === undefined
      ? undefined
      : value.kind === 'scalar'
        ? value.value
        : (value as Extract<MathValue, { kind: 'series' }>).points[i];
  return series(
    condition.points.map((c, i) => {
      if (c === undefined) return undefined;
      // A true condition over a missing value gives 0; a false one over a missing (or omitted) value, nothing.
      return truthy(c) ? (valueAt(whenTrue, i) ?? 0) : valueAt(whenFalse, i);
    }),
  );
}

function fillPoints(points: Points, filler: MathValue): Points {
  if (filler.kind === 'scalar') return points.map((v) => v ?? filler.value);
  if (filler.kind === 'series') return points.map((v, i) => v ?? filler.points[i]);
  if (filler.kind === 'keyword' && filler.name === 'REPEAT') {
    let last: number | undefined;
    return points.map((v) => {
      if (v !== undefined) last = v;
      return v ?? last;
    });
  }
  if (filler.kind === 'keyword' && filler.name === 'LINEAR') {
    return points.map((v, i) => {
      if (v !== undefined) return v;
      let before = i - 1;
      while (before >= 0 && points[before] === undefined) before--;
      let after = i + 1;
      while (after < points.length && points[after] === undefined) after++;
      const a = points[before];
      const b = points[after];
      if (before < 0 || after >= points.length || a === undefined || b === undefined) return undefined;
      return a + ((b - a) * (i - before)) / (after - before);
    });
  }
  throw new MetricMathError(
    `FILL's second argument must be a number, a time series, REPEAT or LINEAR, got ${filler.kind === 'keyword' ? filler.name : `a ${filler.kind}`}`,
  );
}

/** MIN/MAX/SUM/AVG/STDDEV/DATAPOINT_COUNT: of a TS a scalar, of a TS[] a TS (per slot). */
function aggregate(fn: string, args: readonly MathValue[]): MathValue {
  const reducers: Record<string, (values: number[]) => number | undefined> = {
    MIN: (v) => (v.length ? Math.min(...v) : undefined),
    MAX: (v) => (v.length ? Math.max(...v) : undefined),
    SUM: (v) => v.reduce((a, b) => a + b, 0),
    AVG: (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined),
    STDDEV: (v) => {
      if (!v.length) return undefined;
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    },
    DATAPOINT_COUNT: (v) => v.length,
  };
  const reduce = reducers[fn] as (values: number[]) => number | undefined;
  const [arg] = args;
  if (args.length !== 1 || !arg) throw new MetricMathError(`${fn} takes one argument`);
  if (arg.kind === 'series') {
    const value = reduce(present(arg.points));
    if (value === undefined)
      throw new MetricMathError(`${fn} of a time series without datapoints has no value`);
    return scalar(value);
  }
  if (arg.kind === 'array') {
    const slots = arg.series[0]?.length ?? 0;
    return series(
      Array.from({ length: slots }, (_, i) => {
        const values = arg.series.map((points) => points[i]);
        if (values.every((v) => v === undefined)) return undefined;
        // "Missing values are treated as 0" for AVG and SUM of an array.
        return fn === 'SUM' || fn === 'AVG' ? reduce(values.map((v) => v ?? 0)) : reduce(present(values));
      }),
    );
  }
  throw new MetricMathError(`${fn} needs a time series or an array of time series, got a ${arg.kind}`);
}

function call(fn: string, raw: readonly Expr[], context: MathContext): MathValue {
  if (fn === 'METRICS') {
    const filter = raw[0] ? evaluate(raw[0], context) : undefined;
    if (filter && filter.kind !== 'string') throw new MetricMathError('METRICS takes an optional string');
    const ids = context.metricIds.filter((id) => !filter || id.includes(filter.value));
    return { kind: 'array', series: ids.map((id) => asSeriesList(context.resolve(id), id)[0] as Points) };
  }
  if (fn === 'PERIOD') {
    const [arg] = raw;
    if (raw.length !== 1 || arg?.kind !== 'id') throw new MetricMathError('PERIOD takes the Id of a metric');
    return scalar(context.periodOf(arg.name));
  }
  const args = raw.map((arg) => evaluate(arg, context));
  const one = (): MathValue => {
    if (args.length !== 1) throw new MetricMathError(`${fn} takes one argument`);
    return args[0] as MathValue;
  };
  switch (fn) {
    case 'IF':
      return ifExpression(args, context.slots);
    case 'FILL': {
      const [target, filler] = args;
      if (args.length !== 2 || !target || !filler)
        throw new MetricMathError('FILL takes a time series and what to fill it with');
      if (target.kind === 'array')
        return { kind: 'array', series: target.series.map((points) => fillPoints(points, filler)) };
      if (target.kind !== 'series')
        throw new MetricMathError(`FILL needs a time series, got a ${target.kind}`);
      return series(fillPoints(target.points, filler));
    }
    case 'ABS':
      return perPoint(one(), Math.abs, fn);
    case 'CEIL':
      return perPoint(one(), Math.ceil, fn);
    case 'FLOOR':
      return perPoint(one(), Math.floor, fn);
    case 'LOG':
      return perPoint(one(), (v) => (v > 0 ? Math.log(v) : undefined), fn);
    case 'LOG10':
      return perPoint(one(), (v) => (v > 0 ? Math.log10(v) : undefined), fn);
    case 'MIN':
    case 'MAX':
    case 'SUM':
    case 'AVG':
    case 'STDDEV':
    case 'DATAPOINT_COUNT':
      return aggregate(fn, args);
    case 'TIME_SERIES': {
      const value = one();
      if (value.kind !== 'scalar') throw new MetricMathError('TIME_SERIES takes a number');
      return series(new Array<number>(context.slots).fill(value.value));
    }
    case 'FIRST':
    case 'LAST': {
      const list = asSeriesList(one(), fn);
      const chosen = fn === 'FIRST' ? list[0] : list[list.length - 1];
      if (!chosen) throw new MetricMathError(`${fn} of an empty array`);
      return series(chosen);
    }
    case 'REMOVE_EMPTY':
      return { kind: 'array', series: asSeriesList(one(), fn).filter((p) => present(p).length > 0) };
    case 'RUNNING_SUM': {
      const value = one();
      if (value.kind !== 'series') throw new MetricMathError('RUNNING_SUM takes a time series');
      let total = 0;
      return series(
        value.points.map((v) => {
          if (v === undefined) return undefined;
          total += v;
          return total;
        }),
      );
    }
    case 'DIFF': {
      const value = one();
      if (value.kind !== 'series') throw new MetricMathError('DIFF takes a time series');
      let previous: number | undefined;
      return series(
        value.points.map((v) => {
          if (v === undefined) return undefined;
          const out = previous === undefined ? undefined : v - previous;
          previous = v;
          return out;
        }),
      );
    }
  }
  throw new MetricMathError(
    `the local CloudWatch does not evaluate ${fn}(); it evaluates arithmetic, comparisons, AND/OR, IF, FILL, ` +
      'ABS, CEIL, FLOOR, LOG, LOG10, MIN, MAX, SUM, AVG, STDDEV, DATAPOINT_COUNT, METRICS, PERIOD, ' +
      'TIME_SERIES, FIRST, LAST, REMOVE_EMPTY, RUNNING_SUM and DIFF',
  );
}

/** Evaluates a parsed expression over the context's slots. */
export function evaluate(expr: Expr, context: MathContext): MathValue {
  switch (expr.kind) {
    case 'number':
      return scalar(expr.value);
    case 'string':
      return { kind: 'string', value: expr.value };
    case 'keyword':
      return { kind: 'keyword', name: expr.name };
    case 'id':
      return context.resolve(expr.name);
    case 'array':
      return {
        kind: 'array',
        series: expr.items.flatMap((item) => asSeriesList(evaluate(item, context), 'an array item')),
      };
    case 'negate':
      return perPoint(evaluate(expr.arg, context), (v) => -v, 'unary -');
    case 'binary':
      return binary(expr.op, evaluate(expr.left, context), evaluate(expr.right, context));
    case 'call':
      return call(expr.fn, expr.args, context);
  }
}
