/** Reading test results from what runners print, and the message a failed run gives. */
import { describe, expect, it } from 'vitest';
import { parseTap } from '../../../lambdas/run-tests/tap';
import {
  failureMessage,
  parseJestJson,
  parseJUnit,
  testReport,
} from '../../../lambdas/run-tests/test-output';

/** What `node --test --test-reporter=tap` prints for one passing and one failing test in a suite. */
const NODE_TAP = `TAP version 13
# Subtest: greeter
    # Subtest: adds
    ok 1 - adds
      ---
      duration_ms: 0.5
      ...
    # Subtest: greets in french
    not ok 2 - greets in french
      ---
      error: 'Expected values to be strictly equal'
      ...
    1..2
not ok 1 - greeter
1..1
# tests 2
# suites 1
# pass 1
# fail 1
`;

/** vitest --reporter=tap-flat: no summary lines. */
const VITEST_TAP = `TAP version 13
1..3
ok 1 - test/b.test.ts > greeter > adds # time=2.09ms
not ok 2 - test/b.test.ts > greeter > greets in french # time=5.08ms
    ---
    error:
        name: "AssertionError"
    ...
ok 3 - test/b.test.ts > greeter > later # SKIP
`;

/** vitest --reporter=junit, behind npm's own lines. */
const VITEST_JUNIT = `
> orders@1.0.0 test
> vitest run --reporter=junit

<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="3" failures="1" errors="0" time="0.0077">
    <testsuite name="test/b.test.ts" tests="3" failures="1" errors="0" skipped="1" time="0.0077">
        <testcase classname="test/b.test.ts" name="greeter &gt; adds" time="0.0014">
        </testcase>
        <testcase classname="test/b.test.ts" name="greeter &gt; greets in &quot;french&quot;" time="0.0046">
            <failure message="expected &apos;Bonjour&apos; to be &apos;Hello&apos;" type="AssertionError">
AssertionError: expected 'Bonjour' to be 'Hello'
            </failure>
        </testcase>
        <testcase classname="test/b.test.ts" name="greeter &gt; later" time="0">
            <skipped/>
        </testcase>
        <testcase classname="test/c.test.ts" name="loads" time="0.001"/>
    </testsuite>
</testsuites>
`;

/** jest --json: the document on stdout, the human report on stderr around it. */
const JEST_JSON = `PASS test/a.test.js
${JSON.stringify({
  numFailedTests: 1,
  numPassedTests: 4,
  numTotalTests: 5,
  testResults: [
    {
      name: '/w/test/a.test.js',
      assertionResults: [
        { fullName: 'orders stores an order', status: 'passed' },
        { fullName: 'orders refuses a bad sku', status: 'failed' },
      ],
    },
    { name: '/w/test/broken.test.js', message: 'SyntaxError', assertionResults: [] },
  ],
})}
Tests: 1 failed, 4 passed, 5 total
`;

describe('parsers', () => {
  it('reads node:test TAP: the summary counts tests, not suites; failed names include the suite line', () => {
    expect(parseTap(NODE_TAP)).toEqual({
      passed: 1,
      failed: 1,
      failures: ['greets in french', 'greeter'],
    });
  });

  it('reads vitest tap-flat without a summary: counts its lines, skips are neither, directives dropped', () => {
    expect(parseTap(VITEST_TAP)).toEqual({
      passed: 1,
      failed: 1,
      failures: ['test/b.test.ts > greeter > greets in french'],
    });
  });

  it('reads JUnit XML: failures and errors fail, skipped count for neither, names unescaped with their suite', () => {
    expect(parseJUnit(VITEST_JUNIT)).toEqual({
      passed: 2,
      failed: 1,
      failures: ['test/b.test.ts > greeter > greets in "french"'],
    });
    expect(parseJUnit('no xml here')).toBeUndefined();
  });

  it("reads jest's JSON, naming a file that did not run", () => {
    expect(parseJestJson(JEST_JSON)).toEqual({
      passed: 4,
      failed: 1,
      failures: ['orders refuses a bad sku', '/w/test/broken.test.js (did not run)'],
    });
    expect(parseJestJson('{"numbers": 1}')).toBeUndefined();
  });
});

describe('testReport and failureMessage', () => {
  const ok = { exitCode: 0, timedOut: false };

  it('records counts and failed names from the format asked for', () => {
    const report = testReport('npm test', 'junit', { exitCode: 1, timedOut: false, output: VITEST_JUNIT });
    expect(report).toEqual({
      command: 'npm test',
      source: 'junit',
      passed: 2,
      failed: 1,
      failures: ['test/b.test.ts > greeter > greets in "french"'],
      exitCode: 1,
      timedOut: false,
    });
    expect(failureMessage('orders', report, 60_000)).toBe(
      '1 of 3 tests failed: test/b.test.ts > greeter > greets in "french" (`npm test`)',
    );
    expect(
      failureMessage(
        'orders',
        testReport('npm test', 'junit', {
          ...ok,
          output: VITEST_JUNIT.replace(/<failure[\s\S]*?<\/failure>/, ''),
        }),
        60_000,
      ),
    ).toBeUndefined();
  });

  it('finds TAP or JUnit a script printed by itself; else falls back to the exit code and the output tail', () => {
    expect(testReport('npm run check', 'exit-code', { ...ok, output: VITEST_TAP }).source).toBe('tap');
    const plain = testReport('npm run check', 'exit-code', {
      exitCode: 2,
      timedOut: false,
      output: `${'.'.repeat(3000)}\nError: cannot find module 'left-pad'\n`,
    });
    expect(plain).toMatchObject({ source: 'exit-code', passed: 0, failed: 1, failures: [], exitCode: 2 });
    expect(plain.outputTail).toHaveLength(1500);
    expect(failureMessage('orders', plain, 60_000)).toMatch(
      /^`npm run check` exited with code 2; its output ended with:\n\.+\nError: cannot find module 'left-pad'$/,
    );
  });

  it('names a command that printed nothing and exited non-zero, and how to find out why', () => {
    const silent = testReport('npm test', 'junit', { exitCode: 1, timedOut: false, output: '' });
    expect(silent).toEqual({
      command: 'npm test',
      source: 'exit-code',
      passed: 0,
      failed: 1,
      failures: [],
      exitCode: 1,
      timedOut: false,
    });
    expect(failureMessage('orders', silent, 60_000)).toBe(
      "`npm test` exited with code 1 and printed nothing, so there is no failed test to name: run it in orders's " +
        'folder to see why (a missing dependency, a script that exits early), or set runtime.testCommand in the ' +
        'catalog to the command that runs its tests',
    );
  });

  it('says a command was stopped at the timeout, with what it had reported by then', () => {
    const hung = testReport('node --test', 'tap', {
      exitCode: null,
      timedOut: true,
      output: 'TAP version 13\nok 1 - adds\n',
    });
    expect(hung).toMatchObject({ source: 'tap', passed: 1, failed: 0, exitCode: null, timedOut: true });
    expect(failureMessage('orders', hung, 8_000)).toBe(
      'Tests of orders did not finish within 8 s: `node --test` was stopped (1 passed, 0 failed by then); its ' +
        'output ended with:\nTAP version 13\nok 1 - adds',
    );
  });

  it('keeps at most 20 failed names of 200 characters', () => {
    const many = Array.from({ length: 30 }, (_, i) => `not ok ${i + 1} - ${'x'.repeat(300)}${i}`).join('\n');
    const report = testReport('npm test', 'tap', {
      exitCode: 1,
      timedOut: false,
      output: `TAP version 13\n${many}`,
    });
    expect(report.failed).toBe(30);
    expect(report.failures).toHaveLength(20);
    expect(report.failures.every((name) => name.length === 200)).toBe(true);
  });
});
