/** scripts/tests-alone.ts's pure parts: the name pattern and reading vitest's JSON report. */
import { describe, expect, it } from 'vitest';
import { exactTestPattern, readReport } from '../../scripts/tests-alone';

const report = (
  assertions: { ancestorTitles: string[]; title: string; status: string; failureMessages?: string[] }[],
  message?: string,
) => ({
  numTotalTests: assertions.length,
  numPassedTests: assertions.filter((a) => a.status === 'passed').length,
  numFailedTests: assertions.filter((a) => a.status === 'failed').length,
  testResults: [
    { name: '/repo/test/a.test.ts', ...(message ? { message } : {}), assertionResults: assertions },
  ],
});

describe('exactTestPattern', () => {
  it('matches the full name, with or without the file before it, and nothing else', () => {
    const pattern = new RegExp(exactTestPattern('ledger (DynamoDB) keeps 1.5 s [x]'));
    expect(pattern.test('ledger (DynamoDB) keeps 1.5 s [x]')).toBe(true);
    expect(pattern.test('test/a.test.ts ledger (DynamoDB) keeps 1.5 s [x]')).toBe(true);
    expect(pattern.test('ledger (DynamoDB) keeps 1.5 s [x] and more')).toBe(false);
    expect(pattern.test('ledger (DynamoDB) keeps 1a5 s [x]')).toBe(false);
    expect(pattern.test('other ledger (DynamoDB) keeps 1.5 s [x]')).toBe(true); // reported by the count check
  });
});

describe('readReport', () => {
  it('lists the tests that ran and names each failure with its first lines', () => {
    const read = readReport(
      report([
        { ancestorTitles: ['ledger'], title: 'keeps', status: 'passed' },
        { ancestorTitles: ['ledger'], title: 'skipped', status: 'skipped' },
        {
          ancestorTitles: ['ledger', 'race'],
          title: 'wins once',
          status: 'failed',
          failureMessages: ['AssertionError: expected 2 to be 1\n at a\n at b\n at c\n at d'],
        },
      ]),
    );
    expect(read.tests).toEqual(['ledger keeps', 'ledger race wins once']);
    expect(read.problems).toEqual([
      'ledger race wins once: AssertionError: expected 2 to be 1\n     at a\n     at b\n     at c',
    ]);
  });

  it('reports a file that failed to load, and a name pattern that ran another number of tests', () => {
    expect(readReport(report([], 'Error: Cannot find module x')).problems).toEqual([
      'Error: Cannot find module x',
    ]);
    expect(readReport(report([]), 1).problems).toEqual(['the name pattern ran 0 tests, not 1']);
    const two = report([
      { ancestorTitles: [], title: 'a b', status: 'passed' },
      { ancestorTitles: ['a'], title: 'b', status: 'passed' },
    ]);
    expect(readReport(two, 1).problems).toEqual(['the name pattern ran 2 tests, not 1']);
  });
});
