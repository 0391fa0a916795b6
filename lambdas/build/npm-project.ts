/**
 * What Build must install for a service, read from its checkout alone (no service code runs): the npm project
 * (the service folder, or the npm workspaces root above it), its lockfile, and the checks that stop a build
 * before any install starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import picomatch from 'picomatch';
import type { DependenciesConfig } from '../core/catalog/types';
import { DependencyInstallError } from '../core/errors';

/** The fields of package-lock.json (lockfileVersion 2 or 3) that Build reads. */
export interface PackageLock {
  readonly lockfileVersion?: number;
  readonly packages?: Readonly<Record<string, LockEntry>>;
}

interface LockEntry {
  readonly name?: string;
  readonly version?: string;
  readonly resolved?: string;
  readonly link?: boolean;
  readonly dev?: boolean;
  readonly hasInstallScript?: boolean;
  readonly license?: string;
  readonly integrity?: string;
}

export interface NpmProject {
  /** Absolute folder of the npm project: where `npm ci` runs and node_modules goes. */
  readonly root: string;
  /** The project root relative to the repository root, '' for the root itself (for messages). */
  readonly rootPath: string;
  readonly lockfile: Buffer;
  readonly lock: PackageLock;
  /** Workspace folders of the lockfile, relative to the project root (npm workspaces; empty otherwise). */
  readonly workspaces: readonly string[];
  /** Packages with install scripts that the catalog allows: run without `--ignore-scripts` when any. */
  readonly scriptPackages: readonly string[];
}

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly workspaces?: readonly string[] | { readonly packages?: readonly string[] };
}

const OTHER_LOCKFILES = ['pnpm-lock.yaml', 'yarn.lock'] as const;

function readJson<T>(file: string, shown: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new DependencyInstallError(
      `${shown} is not valid JSON (${(error as Error).message}); fix the file and commit it`,
    );
  }
}

/** `file` relative to the repository, as messages show it. */
function shown(repoRoot: string, file: string): string {
  return relative(repoRoot, file).split('\\').join('/') || '.';
}

function workspaceGlobs(pkg: PackageJson): readonly string[] {
  const ws = pkg.workspaces;
  if (Array.isArray(ws)) return ws;
  return (ws as { packages?: readonly string[] } | undefined)?.packages ?? [];
}

/** The nearest folder at or above the service folder with a package.json whose workspaces include it. */
function workspaceRootOf(repoRoot: string, serviceDir: string): string | undefined {
  for (let dir = dirname(serviceDir); dir.startsWith(repoRoot); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const globs = workspaceGlobs(readJson<PackageJson>(manifest, shown(repoRoot, manifest)));
      const folder = relative(dir, serviceDir).split('\\').join('/');
      if (globs.length > 0 && picomatch(globs.map((g) => posix.normalize(g)))(folder)) return dir;
    }
    if (dir === repoRoot) break;
  }
  return undefined;
}

function hasDependencies(pkg: PackageJson): boolean {
  return Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).length > 0;
}

/** The package name of a lockfile key (`node_modules/a/node_modules/@s/b` is `@s/b`), or its `name` (aliases). */
export function packageNameOf(key: string, entry: LockEntry): string {
  const at = key.lastIndexOf('node_modules/');
  return entry.name ?? (at >= 0 ? key.slice(at + 'node_modules/'.length) : key);
}

/**
 * The npm project Build installs for the service at `serviceDir` of the checkout at `repoRoot`, or undefined
 * when it has nothing to install (no package.json, or no dependencies). Throws DependencyInstallError, naming the
 * file and the fix, for a missing or unsupported lockfile and for an install script the catalog does not allow.
 */
export function findNpmProject(
  repoRoot: string,
  serviceDir: string,
  service: string,
  config: DependenciesConfig = {},
): NpmProject | undefined {
  const manifest = join(serviceDir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = readJson<PackageJson>(manifest, shown(repoRoot, manifest));
  const ownLock = existsSync(join(serviceDir, 'package-lock.json'));
  const root = ownLock ? serviceDir : (workspaceRootOf(repoRoot, serviceDir) ?? serviceDir);
  const lockPath = join(root, 'package-lock.json');
  if (!existsSync(lockPath)) {
    const other = OTHER_LOCKFILES.map((f) => join(root, f)).find((f) => existsSync(f));
    if (other) {
      throw new DependencyInstallError(
        `${shown(repoRoot, other)}: this lockfile is not supported yet; Sluice installs with npm ci from ` +
          `package-lock.json. Run \`npm install\` in ${shown(repoRoot, root)} and commit package-lock.json.`,
      );
    }
    if (!hasDependencies(pkg)) return undefined;
    throw new DependencyInstallError(
      `${shown(repoRoot, manifest)} of ${service} lists dependencies but ${shown(repoRoot, lockPath)} is missing: ` +
        `run \`npm install\` in ${shown(repoRoot, root)} and commit package-lock.json (Build installs with npm ci).`,
    );
  }
  const lockfile = readFileSync(lockPath);
  const lock = readJson<PackageLock>(lockPath, shown(repoRoot, lockPath));
  if (!lock.packages || (lock.lockfileVersion ?? 1) < 2) {
    throw new DependencyInstallError(
      `${shown(repoRoot, lockPath)} is lockfileVersion ${lock.lockfileVersion ?? 1}; npm ci here needs version 2 ` +
        'or 3: run `npm install` with npm 7 or later and commit the new package-lock.json.',
    );
  }
  const entries = Object.entries(lock.packages);
  const installed = entries.filter(([key, e]) => key.includes('node_modules/') && !e.dev && !e.link);
  if (installed.length === 0 && !entries.some(([, e]) => e.link)) return undefined;
  const allowed = new Set(config.allowInstallScripts ?? []);
  const withScripts = [
    ...new Set(installed.filter(([, e]) => e.hasInstallScript).map(([k, e]) => packageNameOf(k, e))),
  ].sort();
  const refused = withScripts.filter((name) => !allowed.has(name));
  if (refused.length > 0) {
    throw new DependencyInstallError(
      `${shown(repoRoot, lockPath)}: ${refused.join(', ')} ${refused.length === 1 ? 'has an install script' : 'have install scripts'} ` +
        `that the catalog does not allow for ${service}. Add ${refused.map((n) => JSON.stringify(n)).join(', ')} to ` +
        `services[${service}].dependencies.allowInstallScripts if ${refused.length === 1 ? 'it' : 'they'} must run ` +
        '(in the sandbox), or replace the dependency.',
    );
  }
  const workspaces = entries
    .filter(([key]) => key !== '' && !key.includes('node_modules/'))
    .map(([key]) => key)
    .sort();
  return {
    root,
    rootPath: shown(repoRoot, root),
    lockfile,
    lock,
    workspaces,
    scriptPackages: withScripts,
  };
}

/** Workspace links of the lockfile (`node_modules/<name>` → the workspace folder), relative to the project root. */
export function workspaceLinks(lock: PackageLock): { readonly link: string; readonly target: string }[] {
  return Object.entries(lock.packages ?? {})
    .filter(
      ([key, e]) => e.link === true && typeof e.resolved === 'string' && key.startsWith('node_modules/'),
    )
    .map(([key, e]) => ({ link: key, target: e.resolved as string }));
}
