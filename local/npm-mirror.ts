/**
 * Fills a local registry (LocalNpmRegistry, on 127.0.0.1) with the packages a lockfile installs, from the tarballs
 * npm's own cache already holds: the original bytes, so every `integrity` of the lockfile holds and `npm ci`
 * against the local registry installs exactly what it would install from registry.npmjs.org. Nothing is
 * downloaded: a tarball missing from the cache is an error that names the package and the fix.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { PackageLock } from '../lambdas/build/npm-project';
import type { LocalNpmRegistry } from './npm-registry';
import { projectNpmCli } from './sandbox/process-test-sandbox';

const run = promisify(execFile);

/** A package the lockfile installs on this machine. */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
  /** Its place in the lockfile, e.g. `node_modules/vite` (for messages). */
  readonly location: string;
}

/** The operating system, CPU and C library npm matches a package's `os`, `cpu` and `libc` against. */
export interface Platform {
  readonly os: string;
  readonly cpu: string;
  readonly libc: 'glibc' | 'musl' | undefined;
}

/** A tarball the lockfile needs is not in npm's cache: nothing is downloaded to make up for it. */
export class NpmCacheMissError extends Error {
  override readonly name = 'NpmCacheMissError';
}

/** The lockfile cannot be mirrored as it is (an entry without integrity, a dependency it does not hold). */
export class LockfileMirrorError extends Error {
  override readonly name = 'LockfileMirrorError';
}

export function currentPlatform(): Platform {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc =
    process.platform !== 'linux' ? undefined : report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
  return { os: process.platform, cpu: process.arch, libc };
}

interface LockEntry {
  /** The registry package an alias (`"x": "npm:real@1"`) installs. @default - the name it is installed under */
  readonly name?: string;
  /** Shipped inside its parent's tarball (bundleDependencies): not a registry package of its own. */
  readonly inBundle?: boolean;
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly libc?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

/** npm's rule for `os`/`cpu`/`libc` lists: any match, unless negated with `!`. */
function allows(list: readonly string[] | undefined, value: string | undefined): boolean {
  if (!list || list.length === 0) return true;
  if (value === undefined) return false;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

function fitsPlatform(entry: LockEntry, platform: Platform): boolean {
  return (
    allows(entry.os, platform.os) &&
    allows(entry.cpu, platform.cpu) &&
    (!entry.libc || allows(entry.libc, platform.libc))
  );
}

/** Node's lookup within the lockfile: `<from>/node_modules/<name>`, then each folder up. */
function locate(
  packages: Readonly<Record<string, LockEntry>>,
  from: string,
  name: string,
): string | undefined {
  let dir = from;
  for (;;) {
    const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[at]) return at;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/**
 * The packages `npm ci` installs from this lockfile on `platform`: everything reachable from the root (or from
 * `roots`, names at the top of node_modules) through dependencies, devDependencies, optional dependencies that
 * fit the platform, and required peers; links, workspaces and bundled dependencies are not registry packages, and an
 * alias is the package it names.
 */
export function installedPackages(
  lock: PackageLock,
  options: { readonly roots?: readonly string[]; readonly platform?: Platform } = {},
): LockedPackage[] {
  const packages = (lock.packages ?? {}) as Readonly<Record<string, LockEntry>>;
  const platform = options.platform ?? currentPlatform();
  const root = packages[''] ?? {};
  const queue: [string, string, boolean][] = options.roots
    ? options.roots.map((name) => ['', name, false])
    : [
        ...Object.keys({ ...root.dependencies, ...root.devDependencies }).map(
          (n): [string, string, boolean] => ['', n, false],
        ),
        ...Object.keys(root.optionalDependencies ?? {}).map((n): [string, string, boolean] => ['', n, true]),
      ];
  const found = new Map<string, LockedPackage>();
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [from, name, optional] = next;
    const location = locate(packages, from, name);
    if (!location) {
      if (optional) continue;
      throw new LockfileMirrorError(`${name} (needed by ${from || 'the root'}) is not in the lockfile`);
    }
    const entry = packages[location]!;
    if (found.has(location) || entry.link || entry.inBundle) continue;
    if (!fitsPlatform(entry, platform)) {
      if (optional) continue;
      throw new LockfileMirrorError(`${location} does not install on ${platform.os}-${platform.cpu}`);
    }
    if (!entry.version || !entry.integrity) {
      throw new LockfileMirrorError(`${location} has no version or integrity in the lockfile`);
    }
    // An alias publishes (and is fetched) under the real package's name.
    found.set(location, {
      name: entry.name ?? name,
      version: entry.version,
      integrity: entry.integrity,
      location,
    });
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push([location, dep, false]);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push([location, dep, true]);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[dep]?.optional) queue.push([location, dep, true]);
    }
  }
  return [...found.values()];
}

/**
 * npm's cache folder: the one `npm start` (any npm script) runs with, `npm_config_cache`; else what the project's
 * npm says (`npm config get cache`: the user's .npmrc may move it); else npm's default, ~/.npm.
 */
export async function npmCacheDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.npm_config_cache) return env.npm_config_cache;
  try {
    const { stdout } = await run(process.execPath, [projectNpmCli(), 'config', 'get', 'cache'], {
      env: { PATH: env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? homedir() },
      timeout: 30_000,
    });
    if (stdout.trim()) return stdout.trim();
  } catch {
    // npm's default below
  }
  return join(homedir(), '.npm');
}

interface Cacache {
  get: { byDigest(cache: string, integrity: string): Promise<Buffer> };
}

/** cacache, the content store npm's cache is written with: the copy inside the `npm` package Sluice depends on. */
function cacache(): Cacache {
  const npmDir = dirname(createRequire(__filename).resolve('npm/package.json'));
  return createRequire(join(npmDir, 'package.json'))('cacache') as Cacache;
}

/** The original tarball of `pkg` from npm's cache, looked up by the lockfile's integrity (verified on read). */
export async function cachedTarball(cacheDir: string, pkg: LockedPackage): Promise<Buffer> {
  try {
    return await cacache().get.byDigest(join(cacheDir, '_cacache'), pkg.integrity);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EINTEGRITY') throw error;
    throw new NpmCacheMissError(
      `${pkg.name}@${pkg.version} (${pkg.location}) is not in npm's cache at ${cacheDir}: the local registry ` +
        "serves only tarballs npm has already fetched, and downloads nothing. Run `npm ci` in Sluice's folder " +
        '(it fetches every package the examples use), then try again.',
    );
  }
}

export interface MirrorResult {
  /** `name@version` of each package published now. */
  readonly published: readonly string[];
  /** Packages the registry already had. */
  readonly present: number;
}

/**
 * Publishes each package the lockfiles install (see installedPackages) that the registry does not have yet,
 * from npm's cache, a few at a time. Every tarball is read (and its integrity checked) before the first publish.
 */
export async function mirrorLockfiles(
  registry: LocalNpmRegistry,
  locks: readonly PackageLock[],
  options: { readonly cacheDir?: string; readonly platform?: Platform; readonly concurrency?: number } = {},
): Promise<MirrorResult> {
  const wanted = new Map<string, LockedPackage>();
  for (const lock of locks) {
    for (const pkg of installedPackages(lock, options.platform ? { platform: options.platform } : {})) {
      wanted.set(`${pkg.name}@${pkg.version}`, pkg);
    }
  }
  const missing: LockedPackage[] = [];
  for (const pkg of wanted.values()) {
    if (!(await registry.has(pkg.name, pkg.version))) missing.push(pkg);
  }
  // Asked only when something is missing: a filled registry needs no cache.
  const cacheDir = missing.length > 0 ? (options.cacheDir ?? (await npmCacheDir())) : '';
  const tarballs = new Map<LockedPackage, Buffer>();
  for (const pkg of missing) tarballs.set(pkg, await cachedTarball(cacheDir, pkg));
  const queue = [...missing];
  const worker = async () => {
    for (let pkg = queue.shift(); pkg; pkg = queue.shift()) await registry.publishTarball(tarballs.get(pkg)!);
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { published: missing.map((p) => `${p.name}@${p.version}`), present: wanted.size - missing.length };
}
