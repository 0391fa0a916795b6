/**
 * Reads a test run's result from what its runner printed: TAP (node:test, vitest's tap-flat), JUnit XML
 * (vitest's junit reporter, jest-junit, most CI reporters) or jest's own JSON (`jest --json`). When none is
 * there, the outcome is the exit code and the tail of the output.
 */
import type { TestReport, TestReportSource } from '../core/model';
import { parseTap, type TapSummary } from './tap';

/** At most this many failed test names are kept, each at most NAME_CHARS long. */
export const MAX_FAILURE_NAMES = 20;
const NAME_CHARS = 200;
/** The end of the output kept when the counts cannot tell what went wrong. */
export const OUTPUT_TAIL_CHARS = 1500;

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) => {
    if (entity[0] !== '#') return XML_ENTITIES[entity.toLowerCase()] ?? '';
    const code =
      entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    return Number.isFinite(code) ? String.fromCodePoint(code) : '';
  });
}

function attribute(tag: string, name: string): string | undefined {
  const value = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  return value === undefined ? undefined : unescapeXml(value);
}

/** JUnit XML: each `<testcase>`; one holding `<failure>` or `<error>` failed, one holding `<skipped>` is neither. */
export function parseJUnit(output: string): TapSummary | undefined {
  const cases = [...output.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)];
  if (cases.length === 0) return undefined;
  let passed = 0;
  const failures: string[] = [];
  for (const [, attributes = '', body = ''] of cases) {
    if (/<skipped\b/.test(body)) continue;
    if (/<(failure|error)\b/.test(body)) {
      const name = attribute(attributes, 'name') ?? '(unnamed)';
      const suite = attribute(attributes, 'classname');
      failures.push(suite ? `${suite} > ${name}` : name);
    } else passed++;
  }
  return { passed, failed: failures.length, failures };
}

interface JestJson {
  readonly numPassedTests?: unknown;
  readonly numFailedTests?: unknown;
  readonly testResults?: readonly {
    readonly name?: string;
    readonly message?: string;
    readonly assertionResults?: readonly { readonly fullName?: string; readonly status?: string }[];
  }[];
}

/** `jest --json`: one JSON document on stdout (npm's own lines around it are skipped). */
export function parseJestJson(output: string): TapSummary | undefined {
  const start = output.indexOf('{"num');
  if (start < 0) return undefined;
  let parsed: JestJson;
  try {
    const end = output.lastIndexOf('}');
    parsed = JSON.parse(output.slice(start, end + 1)) as JestJson;
  } catch {
    return undefined;
  }
  if (typeof parsed.numPassedTests !== 'number' || typeof parsed.numFailedTests !== 'number')
    return undefined;
  const failures = (parsed.testResults ?? []).flatMap((file) => {
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    // A file that does not even load has no assertions, only a message.
    if (failed.length === 0 && file.message) return [`${file.name ?? 'a test file'} (did not run)`];
    return failed.map((a) => a.fullName ?? '(unnamed)');
  });
  return { passed: parsed.numPassedTests, failed: parsed.numFailedTests, failures };
}

function parse(output: string, source: TestReportSource): TapSummary | undefined {
  if (source === 'junit') return parseJUnit(output);
  if (source === 'jest-json') return parseJestJson(output);
  if (source === 'tap') {
    const summary = parseTap(output);
    return summary.passed + summary.failed > 0 ? summary : undefined;
  }
  return undefined;
}

/** A runner Sluice did not ask for a format may still print one (a script with its own reporter flag). */
function detect(output: string): TestReportSource {
  if (/^TAP version \d+$/m.test(output)) return 'tap';
  if (/<testcase\b/.test(output)) return 'junit';
  return 'exit-code';
}

/**
 * The report of one run of `command`: counts and failed names from the runner's output in the format it was
 * asked for (`expected`), else the exit code with the output's tail.
 */
export function testReport(
  command: string,
  expected: TestReportSource,
  run: { readonly exitCode: number | null; readonly timedOut: boolean; readonly output: string },
): TestReport {
  const source = expected === 'exit-code' ? detect(run.output) : expected;
  const summary = parse(run.output, source);
  const tail = run.output.trim().slice(-OUTPUT_TAIL_CHARS);
  const exitFailed = run.timedOut || run.exitCode !== 0;
  const base = {
    command,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    ...(tail !== '' && (summary === undefined || (exitFailed && summary.failed === 0))
      ? { outputTail: tail }
      : {}),
  };
  if (!summary) {
    return { ...base, source: 'exit-code', passed: 0, failed: exitFailed ? 1 : 0, failures: [] };
  }
  return {
    ...base,
    source,
    passed: summary.passed,
    failed: summary.failed,
    failures: summary.failures.slice(0, MAX_FAILURE_NAMES).map((name) => name.slice(0, NAME_CHARS)),
  };
}

/** Why the run failed, in one message: what ran, how it ended, which tests failed or the end of its output. */
export function failureMessage(service: string, report: TestReport, timeoutMs: number): string | undefined {
  const { command } = report;
  if (report.timedOut) {
    const progress =
      report.source === 'exit-code' ? '' : ` (${report.passed} passed, ${report.failed} failed by then)`;
    return (
      `Tests of ${service} did not finish within ${Math.round(timeoutMs / 1000)} s: \`${command}\` was stopped${progress}` +
      (report.outputTail ? `; its output ended with:\n${report.outputTail}` : '')
    );
  }
  if (report.exitCode === 0 && report.failed === 0) return undefined;
  if (report.source !== 'exit-code' && (report.failures.length > 0 || report.failed > 0)) {
    const names = report.failures.length > 0 ? `: ${report.failures.slice(0, 5).join('; ')}` : '';
    const tail = report.failures.length === 0 && report.outputTail ? `\n${report.outputTail}` : '';
    return `${report.failed || 'some'} of ${report.passed + report.failed} tests failed${names} (\`${command}\`)${tail}`;
  }
  if (!report.outputTail) {
    return (
      `\`${command}\` exited with code ${report.exitCode} and printed nothing, so there is no failed test to name: ` +
      `run it in ${service}'s folder to see why (a missing dependency, a script that exits early), or set ` +
      'runtime.testCommand in the catalog to the command that runs its tests'
    );
  }
  return `\`${command}\` exited with code ${report.exitCode}${report.passed > 0 ? ` after ${report.passed} passed tests` : ''}; its output ended with:\n${report.outputTail}`;
}
