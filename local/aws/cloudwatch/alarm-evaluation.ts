/**
 * One evaluation of a metric alarm, as the CloudWatch user guide describes it ("Evaluating an alarm", "How alarm
 * state is evaluated when data is missing", "Avoiding premature transitions to alarm state"): pure, over the
 * datapoints of the alarm's evaluation range.
 */
import { type AlarmDefinition, breaches } from './alarm-definition';
import type { AlarmStateValue } from './events';
import type { Points } from './metric-math';

export type JudgedDefinition = Pick<
  AlarmDefinition,
  'comparison' | 'threshold' | 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'
>;

export interface Judgment {
  readonly state: AlarmStateValue;
  /** Why, in CloudWatch's words. */
  readonly reason: string;
  /** Indexes into the range of the real datapoints the state rests on, oldest first. */
  readonly evaluated: readonly number[];
  /** Real datapoints in the range. */
  readonly realDatapoints: number;
  /** Missing datapoints filled in by TreatMissingData. */
  readonly filledDatapoints: number;
  /** Breaching datapoints among those judged, filled ones included. */
  readonly breachingDatapoints: number;
}

/**
 * The evaluation range holds more datapoints than EvaluationPeriods, in case recent ones are missing. CloudWatch
 * does not document its size beyond the user guide's example (5 for 3 evaluation periods); locally it is N + 2.
 */
export function evaluationRange(evaluationPeriods: number): number {
  return evaluationPeriods + 2;
}

const OPERATOR_WORDS: Record<AlarmDefinition['comparison'], string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The alarm's next state from the datapoints of its evaluation range (oldest first; undefined = missing) and its
 * current state (which `ignore` keeps).
 */
export function judge(
  definition: JudgedDefinition,
  range: Points,
  current: AlarmStateValue,
  describe: (index: number) => string = (index) => `#${index}`,
): Judgment {
  const n = definition.evaluationPeriods;
  const m = definition.datapointsToAlarm;
  const treat = definition.treatMissingData;
  const real = range.flatMap((value, index) => (value === undefined ? [] : [index]));
  const isBreaching = (index: number) => breaches(definition, range[index] as number);
  const words = OPERATOR_WORDS[definition.comparison];
  const threshold = `the threshold (${definition.threshold})`;
  const listed = (indexes: readonly number[]) =>
    `[${indexes.map((i) => `${range[i]} (${describe(i)})`).join(', ')}]`;

  // Enough real datapoints: the treatment of missing data "is not needed and is ignored".
  if (real.length >= n) {
    const evaluated = real.slice(-n);
    const breaching = evaluated.filter(isBreaching).length;
    const state: AlarmStateValue = breaching >= m ? 'ALARM' : 'OK';
    return {
      state,
      reason:
        `Threshold Crossed: ${breaching} out of the last ${plural(n, 'datapoint')} ${listed(evaluated)} ` +
        `${breaching === 1 && n === 1 ? 'was' : 'were'} ${state === 'ALARM' ? '' : 'not '}${words} ${threshold} ` +
        `(minimum ${plural(m, 'datapoint')} for ${state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`,
      evaluated,
      realDatapoints: real.length,
      filledDatapoints: 0,
      breachingDatapoints: breaching,
    };
  }

  const fill = n - real.length;
  const realBreaching = real.filter(isBreaching);
  const result = (state: AlarmStateValue, reason: string, breaching: number): Judgment => ({
    state,
    reason,
    evaluated: real,
    realDatapoints: real.length,
    filledDatapoints: treat === 'breaching' || treat === 'notBreaching' ? fill : 0,
    breachingDatapoints: breaching,
  });

  if (real.length === 0) {
    const missing = `no datapoints were received for ${plural(n, 'period')}`;
    switch (treat) {
      case 'missing':
        return result(
          'INSUFFICIENT_DATA',
          `Insufficient Data: ${plural(n, 'datapoint')} ${n === 1 ? 'was' : 'were'} unknown.`,
          0,
        );
      case 'ignore':
        return result(current, `${missing}; missing data is ignored, so the state is kept.`, 0);
      case 'breaching':
        return result(
          'ALARM',
          `Threshold Crossed: ${missing} and ${plural(n, 'missing datapoint')} ${n === 1 ? 'was' : 'were'} treated as [Breaching].`,
          n,
        );
      case 'notBreaching':
        return result(
          'OK',
          `Threshold Crossed: ${missing} and ${plural(n, 'missing datapoint')} ${n === 1 ? 'was' : 'were'} treated as [NonBreaching].`,
          0,
        );
    }
  }

  // Fewer real datapoints than EvaluationPeriods: every real one counts, and only the shortfall is filled.
  if (treat === 'breaching' || treat === 'notBreaching') {
    const breaching = realBreaching.length + (treat === 'breaching' ? fill : 0);
    const state: AlarmStateValue = breaching >= m ? 'ALARM' : 'OK';
    return result(
      state,
      `Threshold Crossed: ${breaching} out of the last ${plural(n, 'datapoint')} ${listed(real)} and ` +
        `${plural(fill, 'missing datapoint')} treated as [${treat === 'breaching' ? 'Breaching' : 'NonBreaching'}] ` +
        `${state === 'ALARM' ? 'were' : 'were not'} ${words} ${threshold} (minimum ${plural(m, 'datapoint')} for ` +
        `${state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`,
      breaching,
    );
  }

  // `missing` and `ignore` fill nothing in: the real datapoints decide when they can.
  if (realBreaching.length >= m) {
    return result(
      'ALARM',
      `Threshold Crossed: ${realBreaching.length} datapoints ${listed(realBreaching)} were ${words} ${threshold} ` +
        `(minimum ${plural(m, 'datapoint')} for OK -> ALARM transition).`,
      realBreaching.length,
    );
  }
  // `ignore` keeps the state wherever `missing` would not be sure (ALARM too early, or INSUFFICIENT_DATA).
  const kept = () =>
    result(
      current,
      'Too few datapoints to change state; missing data is ignored, so the state is kept.',
      realBreaching.length,
    );
  // Premature alarm state: only breaching datapoints, the oldest at least DatapointsToAlarm periods old.
  const oldest = realBreaching[0];
  if (oldest !== undefined && realBreaching.length === real.length && range.length - oldest >= m) {
    if (treat === 'ignore') return kept();
    return result(
      'ALARM',
      `Threshold Crossed: ${listed(realBreaching)} ${words} ${threshold} and no more recent datapoint ` +
        `that is not (the oldest breaching datapoint is ${plural(range.length - oldest, 'period')} old).`,
      realBreaching.length,
    );
  }
  if (realBreaching.length < real.length) {
    return result(
      'OK',
      `Threshold Crossed: ${realBreaching.length} out of ${plural(real.length, 'datapoint')} ${listed(real)} ` +
        `${realBreaching.length === 1 ? 'was' : 'were'} ${words} ${threshold} (minimum ${plural(m, 'datapoint')} ` +
        'for OK -> ALARM transition).',
      realBreaching.length,
    );
  }
  if (treat === 'ignore') return kept();
  return result(
    'INSUFFICIENT_DATA',
    `Insufficient Data: ${plural(fill, 'datapoint')} ${fill === 1 ? 'was' : 'were'} unknown.`,
    realBreaching.length,
  );
}
