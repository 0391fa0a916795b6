/**
 * The demo's npm registry: verdaccio on 127.0.0.1 with no uplink, filled from npm's cache with the packages the
 * example services' lockfiles install (local/npm-mirror.ts), so their Build and Test run the real `npm ci` and
 * nothing reaches the public registry. Its storage is kept across demos: a second demo publishes nothing.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageLock } from '../../lambdas/build/npm-project';
import { type MirrorResult, mirrorLockfiles } from '../npm-mirror';
import { LocalNpmRegistry } from '../npm-registry';

/** The folder of the registry's storage inside the demo's state folder: kept when the demo starts clean. */
export const REGISTRY_DIR = 'npm-registry';

/** Empties the demo's state folder, except the registry's storage. */
export async function cleanDemoState(stateDir: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  for (const entry of await readdir(stateDir)) {
    if (entry !== REGISTRY_DIR) await rm(join(stateDir, entry), { recursive: true, force: true });
  }
}

export interface DemoRegistry {
  readonly registry: LocalNpmRegistry;
  /** Resolves when every package of the lockfiles is served (rejects, naming the package, when one is missing). */
  readonly filled: Promise<MirrorResult & { readonly ms: number }>;
}

/**
 * Starts the registry at once and fills it in the background (a first demo publishes a few dozen tarballs; a
 * later one only checks they are there): a release of a service with dependencies waits for `filled`.
 */
export async function startDemoRegistry(
  stateDir: string,
  lockfiles: readonly string[],
  now: () => number = Date.now,
): Promise<DemoRegistry> {
  const registry = await LocalNpmRegistry.start({ dir: join(stateDir, REGISTRY_DIR) });
  const started = now();
  const filled = (async () => {
    const locks = await Promise.all(
      lockfiles.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as PackageLock),
    );
    const result = await mirrorLockfiles(registry, locks);
    return { ...result, ms: now() - started };
  })();
  // Awaited by the releases that need it; the demo reports a failure there.
  filled.catch(() => undefined);
  return { registry, filled };
}
