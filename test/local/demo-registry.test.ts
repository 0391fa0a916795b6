/**
 * The demo's registry (local/demo/demo-registry.ts): the demo starts clean but keeps the registry's storage, a
 * fill on kept storage publishes nothing, and a package missing from npm's cache fails the fill with its name.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR } from '../../local/cli/overlays';
import { cleanDemoState, REGISTRY_DIR, startDemoRegistry } from '../../local/demo/demo-registry';
import { NpmCacheMissError } from '../../local/npm-mirror';
import { testTempDir } from '../support/test-temp-dir';

const root = testTempDir('demo-registry-');
const LOCKFILE = join(EXAMPLES_DIR, 'order-events', 'package-lock.json');

describe('the demo registry', () => {
  it('empties the state folder except the registry storage', async () => {
    const stateDir = join(root, 'clean');
    await mkdir(join(stateDir, REGISTRY_DIR, 'storage'), { recursive: true });
    await mkdir(join(stateDir, 'repos', 'greeter'), { recursive: true });
    await writeFile(join(stateDir, 'signing.key'), 'k');
    await cleanDemoState(stateDir);
    expect(existsSync(join(stateDir, REGISTRY_DIR, 'storage'))).toBe(true);
    expect(existsSync(join(stateDir, 'repos'))).toBe(false);
    expect(existsSync(join(stateDir, 'signing.key'))).toBe(false);
    await expect(cleanDemoState(join(root, 'never-created'))).resolves.toBeUndefined();
  });

  it("publishes order-events' packages once: a demo on the kept storage publishes nothing", async () => {
    const stateDir = join(root, 'kept');
    let clock = 0;
    const first = await startDemoRegistry(stateDir, [LOCKFILE], { now: () => (clock += 1000) });
    try {
      const filled = await first.filled;
      expect(filled.published).toContain('ajv@8.20.0');
      expect(filled).toMatchObject({ present: 0, ms: 1000 });
    } finally {
      await first.registry.close();
    }
    await cleanDemoState(stateDir);
    const second = await startDemoRegistry(stateDir, [LOCKFILE]);
    try {
      const filled = await second.filled;
      expect(filled.published).toEqual([]);
      expect(filled.present).toBeGreaterThan(40);
    } finally {
      await second.registry.close();
    }
  }, 60_000);

  it('fails the fill, naming the package, when npm cache lacks a tarball', async () => {
    const cacheDir = join(root, 'empty-cache');
    await mkdir(cacheDir, { recursive: true });
    const demo = await startDemoRegistry(join(root, 'missing'), [LOCKFILE], { cacheDir });
    try {
      const error = await demo.filled.catch((e: Error) => e);
      expect(error).toBeInstanceOf(NpmCacheMissError);
      expect((error as Error).message).toMatch(
        /^@aws-lambda-powertools\/logger@2\.35\.0 .* is not in npm's cache/,
      );
    } finally {
      await demo.registry.close();
    }
  }, 60_000);
});
