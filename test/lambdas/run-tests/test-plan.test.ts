/** Which command runs a service's tests, and the reporter flag Sluice adds for the runners it reads. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runnerOfScript, testPlan } from '../../../lambdas/run-tests/test-plan';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function serviceWith(scripts?: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-plan-'));
  dirs.push(dir);
  if (scripts) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'orders', scripts }));
  return dir;
}

describe('runnerOfScript', () => {
  it('knows vitest, jest and node --test at the end of a script, after variables or npx', () => {
    expect(runnerOfScript('vitest run')).toBe('vitest');
    expect(runnerOfScript('tsc --noEmit && npx vitest run')).toBe('vitest');
    expect(runnerOfScript('NODE_OPTIONS=--experimental-vm-modules jest --ci')).toBe('jest');
    expect(runnerOfScript('node --test test/')).toBe('node-test');
  });

  it('leaves a script alone when the runner is not last, not known, or already has a reporter', () => {
    expect(runnerOfScript('vitest run && echo done')).toBeUndefined();
    expect(runnerOfScript('mocha')).toBeUndefined();
    expect(runnerOfScript('vitest run --reporter=verbose')).toBeUndefined();
    expect(runnerOfScript('node test/run.js')).toBeUndefined();
  });
});

describe('testPlan', () => {
  it('runs npm test when package.json has a test script, with the runner’s reporter after --', () => {
    expect(testPlan(undefined, serviceWith({ test: 'vitest run' }))).toEqual({
      command: 'npm test',
      steps: [{ npm: ['test', '--', '--reporter=junit'] }],
      expected: 'junit',
    });
    expect(testPlan(undefined, serviceWith({ test: 'jest' }))?.steps).toEqual([
      { npm: ['test', '--', '--json'] },
    ]);
    expect(testPlan(undefined, serviceWith({ test: 'node --test' }))).toMatchObject({
      steps: [{ npm: ['test', '--', '--test-reporter=tap'] }],
      expected: 'tap',
    });
  });

  it('falls back to the node:test files without package.json, a test script, or with npm init’s placeholder', () => {
    expect(testPlan(undefined, serviceWith())).toBeUndefined();
    expect(testPlan(undefined, serviceWith({ build: 'tsc' }))).toBeUndefined();
    expect(
      testPlan(undefined, serviceWith({ test: 'echo "Error: no test specified" && exit 1' })),
    ).toBeUndefined();
  });

  it('runs the catalog command: npm run <script> reads that script’s runner; unknown runners give the exit code', () => {
    const dir = serviceWith({ test: 'vitest run', 'test:unit': 'vitest run test/unit', lint: 'biome check' });
    expect(testPlan('npm run test:unit', dir)).toEqual({
      command: 'npm run test:unit',
      steps: [{ npm: ['run', 'test:unit', '--', '--reporter=junit'] }],
      expected: 'junit',
    });
    expect(testPlan('npm run test:unit -- --coverage', dir)?.steps).toEqual([
      { npm: ['run', 'test:unit', '--', '--coverage', '--reporter=junit'] },
    ]);
    expect(testPlan('npm run lint', dir)).toEqual({
      command: 'npm run lint',
      steps: [{ npm: ['run', 'lint'] }],
      expected: 'exit-code',
    });
  });

  it('runs a node command as node args, adding TAP to node --test', () => {
    const dir = serviceWith();
    expect(testPlan('node --test test/', dir)).toEqual({
      command: 'node --test test/',
      steps: [['--test', 'test/', '--test-reporter=tap']],
      expected: 'tap',
    });
    expect(testPlan('node scripts/check.mjs', dir)).toEqual({
      command: 'node scripts/check.mjs',
      steps: [['scripts/check.mjs']],
      expected: 'exit-code',
    });
  });
});
