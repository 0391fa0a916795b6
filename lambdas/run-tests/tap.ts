/** What a test run reported: counts and the names of the failed tests. */
export interface TapSummary {
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly string[];
}

/** `ok 3 - name # time=2ms` / `not ok 4 - name`: a TAP test line, indented when it is a subtest. */
const TEST_LINE = /^(\s*)(not ok|ok) \d+(?: - (.*?))?(?:\s+#\s*(.*))?$/gm;

/**
 * Parses TAP. node:test ends with a summary (`# pass N`, `# fail N`), which counts its tests but not the suites
 * that hold them; vitest's tap-flat writes none, so its `ok` / `not ok` lines are counted (skipped tests are
 * neither). The names of failed tests come from the `not ok` lines, directives (`# time=…`) removed.
 */
export function parseTap(output: string): TapSummary {
  const summary = (label: string) => new RegExp(`^# ${label} (\\d+)$`, 'm').exec(output)?.[1];
  const lines = [...output.matchAll(TEST_LINE)];
  const failures = lines.filter((m) => m[2] === 'not ok').map((m) => (m[3] ?? '').trim());
  const pass = summary('pass');
  const fail = summary('fail');
  if (pass !== undefined || fail !== undefined) {
    return { passed: Number(pass ?? 0), failed: Number(fail ?? 0), failures };
  }
  const counted = lines.filter((m) => !/^(skip|todo)\b/i.test(m[4] ?? ''));
  return {
    passed: counted.filter((m) => m[2] === 'ok').length,
    failed: counted.filter((m) => m[2] === 'not ok').length,
    failures,
  };
}
