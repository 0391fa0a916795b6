/**
 * The local registry filled from npm's cache (local/npm-mirror.ts): which packages a lockfile installs on a
 * platform, the original tarballs published as they are (so the lockfile's integrity holds for the real `npm ci`),
 * nothing published twice, and a tarball missing from the cache named with the fix. The example service
 * order-events is installed and tested from it as the demo's Test stage does: `npm ci`, then `npm test` (vitest).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageLock } from '../../lambdas/build/npm-project';
import { applyOverlay, EXAMPLES_DIR, OVERLAYS_DIR } from '../../local/cli/overlays';
import {
  cachedTarball,
  installedPackages,
  LockfileMirrorError,
  mirrorLockfiles,
  NpmCacheMissError,
  npmCacheDir,
  type Platform,
} from '../../local/npm-mirror';
import { LocalNpmRegistry, packageJsonOf } from '../../local/npm-registry';
import { projectNpmCli } from '../../local/sandbox/process-test-sandbox';
import { testTempDir } from '../support/test-temp-dir';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const root = testTempDir('npm-mirror-');
const readLock = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageLock;
const exampleLock = readLock(join(EXAMPLES_DIR, 'order-events', 'package-lock.json'));
const projectLock = readLock(join(ROOT, 'package-lock.json'));
const LINUX_X64: Platform = { os: 'linux', cpu: 'x64', libc: 'glibc' };
const DARWIN_ARM64: Platform = { os: 'darwin', cpu: 'arm64', libc: undefined };

let registry: LocalNpmRegistry | undefined;
afterAll(async () => {
  await registry?.close();
});

/** Runs the project's npm in `cwd` with its own cache and the registry's .npmrc only. */
async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, [projectNpmCli(), ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      npm_config_userconfig: join(cwd, '.npmrc'),
      npm_config_cache: join(cwd, '.npm-cache'),
      npm_config_update_notifier: 'false',
      npm_config_fetch_retries: '0',
    },
    timeout: 120_000,
  });
  return stdout + stderr;
}

describe('installedPackages', () => {
  const lock: PackageLock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'svc', version: '1.0.0', dependencies: { tool: '^1.0.0' } } as never,
      'node_modules/tool': {
        version: '1.0.0',
        integrity: 'sha512-tool',
        optionalDependencies: {
          'tool-linux-x64': '1.0.0',
          'tool-darwin-arm64': '1.0.0',
          'tool-wasm': '1.0.0',
        },
      } as never,
      'node_modules/tool-linux-x64': {
        version: '1.0.0',
        integrity: 'sha512-linux',
        os: ['linux'],
        cpu: ['x64'],
        libc: ['glibc'],
        optional: true,
      } as never,
      'node_modules/tool-darwin-arm64': {
        version: '1.0.0',
        integrity: 'sha512-darwin',
        os: ['darwin'],
        cpu: ['arm64'],
        optional: true,
      } as never,
      'node_modules/tool-wasm': {
        version: '1.0.0',
        integrity: 'sha512-wasm',
        cpu: ['wasm32'],
        optional: true,
        dependencies: { 'wasm-runtime': '1.0.0' },
      } as never,
      'node_modules/wasm-runtime': { version: '1.0.0', integrity: 'sha512-rt', optional: true } as never,
    },
  };

  it('keeps the optional packages that fit the platform, and drops those that do not with what only they need', () => {
    const names = (platform: Platform) => installedPackages(lock, { platform }).map((p) => p.name);
    expect(names(LINUX_X64)).toEqual(['tool', 'tool-linux-x64']);
    expect(names(DARWIN_ARM64)).toEqual(['tool', 'tool-darwin-arm64']);
    expect(names({ ...LINUX_X64, libc: 'musl' })).toEqual(['tool']);
  });

  it('names an alias by the package it installs, and leaves out what ships inside its parent', () => {
    const packages = {
      '': { name: 'svc', version: '1.0.0', dependencies: { legacy: 'npm:tool@1.0.0', bundler: '1.0.0' } },
      'node_modules/legacy': { name: 'tool', version: '1.0.0', integrity: 'sha512-tool' },
      'node_modules/bundler': {
        version: '1.0.0',
        integrity: 'sha512-bundler',
        bundleDependencies: ['inner'],
        dependencies: { inner: '1.0.0' },
      },
      'node_modules/bundler/node_modules/inner': { version: '1.0.0', inBundle: true },
    } as never;
    expect(installedPackages({ lockfileVersion: 3, packages }, { platform: LINUX_X64 })).toEqual([
      { name: 'tool', version: '1.0.0', integrity: 'sha512-tool', location: 'node_modules/legacy' },
      { name: 'bundler', version: '1.0.0', integrity: 'sha512-bundler', location: 'node_modules/bundler' },
    ]);
  });

  it('refuses a lockfile that misses a required dependency or an integrity', () => {
    const packages = lock.packages as Record<string, object>;
    expect(() =>
      installedPackages({ packages: { ...packages, 'node_modules/tool': { version: '1.0.0' } } }),
    ).toThrow(new LockfileMirrorError('node_modules/tool has no version or integrity in the lockfile'));
    const { 'node_modules/tool': _tool, ...withoutTool } = packages;
    expect(() => installedPackages({ packages: withoutTool })).toThrow(
      new LockfileMirrorError('tool (needed by the root) is not in the lockfile'),
    );
  });

  it("order-events' lockfile pins the project's own versions and integrities, for every platform", () => {
    const packages = exampleLock.packages ?? {};
    expect(exampleLock.lockfileVersion).toBe(3);
    for (const [location, entry] of Object.entries(packages)) {
      if (!location) continue;
      const own = projectLock.packages?.[location];
      expect({ location, version: entry.version, integrity: entry.integrity }).toEqual({
        location,
        version: own?.version,
        integrity: own?.integrity,
      });
    }
    // vitest's native bindings for other machines are in the lockfile, as npm writes it; npm ci skips them.
    expect(Object.keys(packages)).toContain('node_modules/@rolldown/binding-darwin-arm64');
    const linux = installedPackages(exampleLock, { platform: LINUX_X64 }).map((p) => p.name);
    expect(linux).toContain('@rolldown/binding-linux-x64-gnu');
    expect(linux).not.toContain('@rolldown/binding-darwin-arm64');
    expect(linux).toEqual(expect.arrayContaining(['ajv', '@aws-lambda-powertools/logger', 'vitest']));
  });
});

/** A gzipped ustar archive of `files` in order (what npm pack writes, for packageJsonOf). */
function tarGz(files: [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of files) {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('0', 156);
    header.write('ustar\u000000', 257);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

describe('packageJsonOf', () => {
  const manifest = { name: 'big-native', version: '3.1.4', main: 'index.js' };
  // Random bytes do not compress: the manifest starts far past the first prefix packageJsonOf inflates.
  const binary = randomBytes(300 * 1024);

  it('finds the top package.json before, or after, large files, and reads only the top one', () => {
    const json = Buffer.from(JSON.stringify(manifest));
    expect(
      packageJsonOf(
        tarGz([
          ['package/package.json', json],
          ['package/a.node', binary],
        ]),
      ),
    ).toEqual(manifest);
    const nested = Buffer.from(JSON.stringify({ name: 'nested', version: '0.0.1' }));
    expect(
      packageJsonOf(
        tarGz([
          ['package/a.node', binary],
          ['package/lib/package.json', nested],
          ['package/package.json', json],
        ]),
      ),
    ).toEqual(manifest);
  });

  it('refuses a tarball without a package.json that names a package', () => {
    const error = 'The tarball has no package.json with a name and version at its top';
    expect(() => packageJsonOf(tarGz([['package/a.node', binary]]))).toThrow(error);
    expect(() => packageJsonOf(tarGz([['package/index.js', Buffer.from('1;\n')]]))).toThrow(error);
    const unnamed = Buffer.from(JSON.stringify({ version: '1.0.0' }));
    expect(() =>
      packageJsonOf(
        tarGz([
          ['package/package.json', unnamed],
          ['package/a.node', binary],
        ]),
      ),
    ).toThrow(error);
  });
});

describe('npmCacheDir', () => {
  it("is the npm_config_cache npm gives its scripts, else what the project's npm says", async () => {
    expect(await npmCacheDir({ npm_config_cache: '/tmp/a-cache', PATH: process.env.PATH })).toBe(
      '/tmp/a-cache',
    );
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, '.npmrc'), `cache=${join(root, 'custom-cache')}\n`);
    expect(await npmCacheDir({ PATH: process.env.PATH, HOME: home })).toBe(join(root, 'custom-cache'));
  });
});

describe('a registry filled from npm cache', () => {
  beforeAll(async () => {
    registry = await LocalNpmRegistry.start({ dir: join(root, 'registry') });
  }, 60_000);

  it('reads each original tarball by its integrity: the package.json inside is the package locked', async () => {
    const [ajv] = installedPackages(exampleLock).filter((p) => p.name === 'ajv');
    const tarball = await cachedTarball(await npmCacheDir(), ajv!);
    expect(packageJsonOf(tarball)).toMatchObject({ name: 'ajv', version: ajv?.version });
  });

  it('names the missing package and the fix when a tarball is not in the cache, and publishes nothing', async () => {
    const empty = join(root, 'empty-cache');
    await mkdir(empty, { recursive: true });
    const error = await mirrorLockfiles(registry!, [exampleLock], { cacheDir: empty }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NpmCacheMissError);
    expect((error as Error).message).toMatch(
      /^@aws-lambda-powertools\/logger@2\.35\.0 \(node_modules\/@aws-lambda-powertools\/logger\) is not in npm's cache at .*empty-cache: .*Run `npm ci` in Sluice's folder/,
    );
    expect(await registry!.has('@aws-lambda-powertools/logger', '2.35.0')).toBe(false);
  });

  it('publishes every package order-events installs, once, and its npm ci and npm test pass from it', async () => {
    const first = await mirrorLockfiles(registry!, [exampleLock]);
    const wanted = installedPackages(exampleLock).length;
    expect(first.published).toHaveLength(wanted);
    expect(first.published).toContain('vitest@4.1.12');
    expect(first.present).toBe(0);

    // The storage is kept: a registry started on it again logs in as its user and has them all.
    await registry!.close();
    registry = await LocalNpmRegistry.start({ dir: join(root, 'registry') });
    expect(await mirrorLockfiles(registry, [exampleLock])).toEqual({ published: [], present: wanted });

    // As the Test stage: npm ci (devDependencies too) with the registry's .npmrc and an empty cache, then npm test.
    const service = join(root, 'order-events');
    await cp(join(EXAMPLES_DIR, 'order-events'), service, {
      recursive: true,
      filter: (from) => !from.includes('node_modules'),
    });
    await writeFile(join(service, '.npmrc'), registry.npmrc());
    expect(await npm(service, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'])).toMatch(
      new RegExp(`added ${wanted} packages`),
    );
    expect(await npm(service, ['test', '--', '--reporter=junit'])).toMatch(
      /<testsuites [^>]*tests="7" failures="0"/,
    );
    // The green canary's commit passes its tests too.
    await applyOverlay(join(OVERLAYS_DIR, 'order-events-v2'), service);
    expect(await npm(service, ['test', '--', '--reporter=junit'])).toMatch(
      /<testsuites [^>]*tests="9" failures="0"/,
    );
  }, 180_000);
});
