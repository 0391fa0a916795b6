/** What a node:test run reported. */
export interface TapSummary {
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly string[];
}

/** Parses node:test's TAP summary (`# pass N`, `# fail N`) and the names of failed tests. */
export function parseTap(output: string): TapSummary {
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  const failures = [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => (m[1] ?? '').trim());
  return { passed: count('pass'), failed: count('fail'), failures };
}
