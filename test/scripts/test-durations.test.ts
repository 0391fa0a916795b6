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
  const file = (path: string, ms: number) => ({
    path,
    prepareDuration: ms / 4,
    collectDuration: ms / 4,
    setupDuration: ms / 4,
    duration: ms / 4,
  });

  it('counts import, setup, tests and hooks; keeps files of half a second or more, longest first, to a tenth', () => {
    const files = [
      file('test/a.test.ts', 2_460),
      file('test/b.test.ts', 499),
      file('test/c.test.ts', 12_040),
    ];
    expect(Object.entries(durationsOf([...files, file('test/d.test.ts', 500)]))).toEqual([
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

  it("orders by test/durations.json, else by vitest's record of the last run, else last", async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-sequencer-'));
    dirs.push(root);
    await mkdir(join(root, 'test'));
    await writeFile(
      join(root, 'test', 'durations.json'),
      JSON.stringify({ 'test/b.test.ts': 30, 'test/c.test.ts': 2 }),
    );
    const files = specs(root, 'test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/d.test.ts');
    // d (added since durations.json was written) ran here in 10 s; c's committed 2 s wins over its record here.
    const sorted = await sequencer(root, { ':test/d.test.ts': 10_000, ':test/c.test.ts': 60_000 }).sort(
      files,
    );
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
