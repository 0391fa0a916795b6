/** Which order test files start in: the sequencer in vitest.config.mts and the durations it reads. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { durationsOf } from '../../scripts/test-durations';
import { LongestFirstSequencer, longestFirst } from '../../vitest.config.mts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('durationsOf', () => {
  it('keeps files of half a second or more, in seconds to a tenth, longest first, by path from the root', () => {
    const report = {
      testResults: [
        { name: '/repo/test/a.test.ts', startTime: 1_000, endTime: 3_460 },
        { name: '/repo/test/b.test.ts', startTime: 0, endTime: 499 },
        { name: '/repo/test/c.test.ts', startTime: 0, endTime: 12_040 },
        { name: '/repo/test/d.test.ts', startTime: 0, endTime: 500 },
      ],
    };
    expect(Object.entries(durationsOf(report, '/repo'))).toEqual([
      ['test/c.test.ts', 12],
      ['test/a.test.ts', 2.5],
      ['test/d.test.ts', 0.5],
    ]);
  });
});

describe('longestFirst', () => {
  it('puts the longest first and the unknown after the known, each keeping their order', () => {
    const expected: Record<string, number | undefined> = {
      a: 5,
      b: undefined,
      c: 40,
      d: undefined,
      e: 5,
      f: 0,
    };
    expect(longestFirst(Object.keys(expected), (k) => expected[k]).join('')).toBe('caefbd');
  });
});

describe('LongestFirstSequencer', () => {
  const specs = (root: string, ...paths: string[]) =>
    paths.map(
      (path) => ({ moduleId: join(root, path), project: { name: '' } }) as unknown as TestSpecification,
    );
  const sequencer = (root: string, recordedMs: Record<string, number>) =>
    new LongestFirstSequencer({
      config: { root },
      cache: {
        getFileTestResults: (key: string) => (key in recordedMs ? { duration: recordedMs[key] } : undefined),
      },
    } as unknown as Vitest);

  it("orders by vitest's record of the last run, else by test/durations.json, else last", async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-sequencer-'));
    dirs.push(root);
    await mkdir(join(root, 'test'));
    await writeFile(
      join(root, 'test', 'durations.json'),
      JSON.stringify({ 'test/b.test.ts': 30, 'test/c.test.ts': 2 }),
    );
    const files = specs(root, 'test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/d.test.ts');
    // d ran here in 10 s; b and c only have committed durations; a has neither.
    const sorted = await sequencer(root, { ':test/d.test.ts': 10_000 }).sort(files);
    expect(sorted.map((spec) => spec.moduleId.slice(root.length + 1))).toEqual([
      'test/b.test.ts',
      'test/d.test.ts',
      'test/c.test.ts',
      'test/a.test.ts',
    ]);
  });

  it('names the file when test/durations.json is not an object of seconds', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-sequencer-'));
    dirs.push(root);
    await mkdir(join(root, 'test'));
    await writeFile(join(root, 'test', 'durations.json'), '[1, 2]');
    await expect(sequencer(root, {}).sort(specs(root, 'test/a.test.ts'))).rejects.toThrow(
      /test\/durations\.json/,
    );
  });
});
