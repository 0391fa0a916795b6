/**
 * Alarm evaluation against the CloudWatch user guide's own tables ("How alarm state is evaluated when data is
 * missing"): each row, each way of treating missing data. Datapoints are written oldest first, as the guide
 * writes them: 0 = not breaching, X = breaching, - = missing.
 */
import { describe, expect, it } from 'vitest';
import type { TreatMissingData } from '../../../../local/aws/cloudwatch/alarm-definition';
import { evaluationRange, judge } from '../../../../local/aws/cloudwatch/alarm-evaluation';
import type { AlarmStateValue } from '../../../../local/aws/cloudwatch/events';

/** Threshold 10, GreaterThanThreshold: X = 20, 0 = 1. */
function range(pattern: string): (number | undefined)[] {
  return pattern.split(' ').map((c) => (c === 'X' ? 20 : c === '0' ? 1 : undefined));
}

function state(
  pattern: string,
  m: number,
  n: number,
  treatMissingData: TreatMissingData,
  current: AlarmStateValue = 'OK',
): AlarmStateValue {
  return judge(
    {
      comparison: 'GreaterThanThreshold',
      threshold: 10,
      evaluationPeriods: n,
      datapointsToAlarm: m,
      treatMissingData,
    },
    range(pattern),
    current,
  ).state;
}

const RETAIN = 'retain';
const TREATMENTS: readonly TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function row(pattern: string, m: number, n: number, expected: readonly string[]): void {
  for (const [i, treat] of TREATMENTS.entries()) {
    const want = expected[i] as string;
    if (want === RETAIN) {
      // Kept, whichever state it was in.
      expect(state(pattern, m, n, treat, 'OK'), `${pattern} ${treat} from OK`).toBe('OK');
      expect(state(pattern, m, n, treat, 'ALARM'), `${pattern} ${treat} from ALARM`).toBe('ALARM');
    } else {
      expect(state(pattern, m, n, treat), `${pattern} ${treat}`).toBe(want);
    }
  }
}

describe('the evaluation range', () => {
  it('holds two more datapoints than EvaluationPeriods (5 for 3, as in the user guide)', () => {
    expect(evaluationRange(3)).toBe(5);
    expect(evaluationRange(1)).toBe(3);
  });
});

describe('3 out of 3 (the user guide, first table)', () => {
  it.each([
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - X - -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  ])('%s', (pattern, expected) => row(pattern, 3, 3, expected));
});

describe('2 out of 3 (the user guide, second table)', () => {
  it.each([
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - X -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  ])('%s', (pattern, expected) => row(pattern, 2, 3, expected));
});

describe('rules a plausible but wrong evaluator would break', () => {
  it('fills only the shortfall, never every gap: one breaching fill is not enough for 3 of 3', () => {
    // Filling all three gaps as breaching would give X X X X and ALARM.
    const judgment = judge(
      {
        comparison: 'GreaterThanThreshold',
        threshold: 10,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: 'breaching',
      },
      range('0 - X - -'),
      'OK',
    );
    expect(judgment).toMatchObject({
      state: 'OK',
      realDatapoints: 2,
      filledDatapoints: 1,
      breachingDatapoints: 2,
    });
  });

  it('with EvaluationPeriods real datapoints, missing data is not consulted even across gaps', () => {
    // Filling the gaps as not breaching and taking the last three would give X 0 X and OK.
    for (const treat of TREATMENTS) expect(state('X - X - X', 3, 3, treat), treat).toBe('ALARM');
  });

  it('notBreaching turns silence into OK where ignore keeps ALARM', () => {
    expect(state('- - - - -', 1, 1, 'notBreaching', 'ALARM')).toBe('OK');
    expect(state('- - - - -', 1, 1, 'ignore', 'ALARM')).toBe('ALARM');
    expect(state('- - - - -', 1, 1, 'ignore', 'INSUFFICIENT_DATA')).toBe('INSUFFICIENT_DATA');
  });

  it('does not alarm prematurely on one fresh breaching datapoint when missing data is missing', () => {
    // Judging only the real datapoints would alarm at once; the next datapoint may be fine.
    expect(state('- - - - X', 3, 3, 'missing')).toBe('INSUFFICIENT_DATA');
    expect(state('- - - - X', 3, 3, 'ignore', 'OK')).toBe('OK');
    // Once the breaching datapoint is DatapointsToAlarm periods old with nothing after it, it does.
    expect(state('- - X - -', 3, 3, 'missing')).toBe('ALARM');
  });

  it('M of N: enough breaching datapoints anywhere among the last N', () => {
    // Not consecutive, still 2 of the last 3.
    expect(state('- X 0 X', 2, 3, 'notBreaching')).toBe('ALARM');
    // 2 breaching, but only 1 among the last 3.
    expect(state('X X 0 0 X', 2, 3, 'notBreaching')).toBe('OK');
  });

  it('a breaching datapoint still in the range keeps a 1-of-1 alarm in ALARM after the metric stops', () => {
    // "CloudWatch alarms might repeatedly re-evaluate the last set of data points ... after the metric has
    // stopped flowing": with notBreaching, silence after a breach is not OK until the breach leaves the range.
    expect(state('X - -', 1, 1, 'notBreaching')).toBe('ALARM');
    expect(state('- - -', 1, 1, 'notBreaching')).toBe('OK');
  });
});

describe('comparison operators', () => {
  it.each([
    ['GreaterThanThreshold', [false, false, true]],
    ['GreaterThanOrEqualToThreshold', [false, true, true]],
    ['LessThanThreshold', [true, false, false]],
    ['LessThanOrEqualToThreshold', [true, true, false]],
  ] as const)('%s at 9, 10 and 11 against 10', (comparison, expected) => {
    const alarmed = [9, 10, 11].map(
      (value) =>
        judge(
          {
            comparison,
            threshold: 10,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            treatMissingData: 'missing',
          },
          [value],
          'OK',
        ).state === 'ALARM',
    );
    expect(alarmed).toEqual(expected);
  });
});

describe('reasons', () => {
  it('names the datapoints and the threshold, as CloudWatch words it', () => {
    const judgment = judge(
      {
        comparison: 'GreaterThanThreshold',
        threshold: 5,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
      },
      [undefined, 2, 12.5],
      'OK',
      (i) => `slot ${i}`,
    );
    expect(judgment.reason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoint [12.5 (slot 2)] was greater than the threshold (5) ' +
        '(minimum 1 datapoint for OK -> ALARM transition).',
    );
    expect(judgment.evaluated).toEqual([2]);
  });

  it('says how missing datapoints were treated', () => {
    const judgment = judge(
      {
        comparison: 'LessThanThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'breaching',
      },
      [undefined, undefined, undefined],
      'OK',
    );
    expect(judgment.state).toBe('ALARM');
    expect(judgment.reason).toMatch(/no datapoints were received for 1 period .* treated as \[Breaching\]/);
  });
});
