/** `runtime.testCommand` in the catalog: plain words the sandbox can run, else the value received and the fix. */
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../../lambdas/core/catalog/validate';
import { formatTestCommand, parseTestCommand } from '../../../../lambdas/core/test-command';

function withCommand(testCommand: unknown) {
  return parseCatalog({
    version: 1,
    services: [
      {
        name: 'orders',
        mode: 'deployment',
        source: { repository: 'orders' },
        runtime: { entry: 'src/handler.ts', testCommand },
      },
    ],
  });
}

describe('runtime.testCommand', () => {
  it('accepts npm test, npm run <script> with arguments, and node commands', () => {
    for (const command of [
      'npm test',
      'npm run test:unit',
      'npm run-script test -- --coverage',
      'node --test',
    ]) {
      const result = withCommand(command);
      expect(result.ok && result.catalog.services[0]?.runtime.testCommand, command).toBe(command);
    }
    const absent = parseCatalog({
      version: 1,
      services: [
        { name: 'orders', mode: 'deployment', source: { repository: 'orders' }, runtime: { entry: 'a.ts' } },
      ],
    });
    expect(absent.ok && 'testCommand' in (absent.catalog.services[0]?.runtime ?? {})).toBe(false);
  });

  it('refuses what the sandbox cannot run, showing the value and the fix', () => {
    const problems = (command: unknown) => {
      const result = withCommand(command);
      if (result.ok) throw new Error(`${String(command)} was accepted`);
      return result.problems;
    };
    expect(problems('vitest run')).toEqual([
      {
        path: 'services[0].runtime.testCommand',
        received: '"vitest run"',
        fix: 'start with npm or node (e.g. "npm test", "npm run test:unit", "node --test"): the sandbox runs those, not "vitest"',
      },
    ]);
    expect(problems('npm test && npm run lint')[0]?.fix).toMatch(
      /^use plain words: no shell runs the command/,
    );
    expect(problems('npm ci')[0]?.fix).toBe('use "npm test" or "npm run <script>"');
    expect(problems('npm run')[0]?.fix).toBe('name the script: "npm run <script>", e.g. "npm run test:unit"');
    expect(problems('node')[0]?.fix).toBe('add what node runs, e.g. "node --test"');
    expect(problems(['npm', 'test'])[0]?.fix).toBe('use a string, not an array');
  });

  it('splits a command into words and writes it back', () => {
    const parsed = parseTestCommand('  npm   run test:unit ');
    expect(parsed).toEqual({ kind: 'npm', args: ['run', 'test:unit'] });
    expect('problem' in parsed ? '' : formatTestCommand(parsed)).toBe('npm run test:unit');
  });
});
