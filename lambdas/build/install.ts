/**
 * Build's dependency install: `npm ci` from the lockfile in the sandbox (no Sluice credential there), its
 * node_modules brought back inline and cached in the artifact store by the lockfile's hash.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { zipSync } from 'fflate';
import npmPackage from 'npm/package.json';
import type { ServiceConfig } from '../core/catalog/types';
import { DependencyInstallError } from '../core/errors';
import type { ArtifactStore, NpmrcSource, SandboxResult, TestSandbox } from '../core/ports';
import { MAX_INLINE_ARCHIVE_BYTES, packDirectory, unpackInto } from '../runtime/checkout-archive';
import { type NpmProject, workspaceLinks } from './npm-project';

/** The npm the sandbox installs with: Sluice's own dependency, the runner's layer in AWS. */
export const NPM_VERSION: string = npmPackage.version;

export interface InstallPorts {
  readonly artifacts: ArtifactStore;
  readonly testSandbox: TestSandbox;
  readonly npmrc: NpmrcSource;
}

export interface InstallOutcome {
  /** Where node_modules came from. */
  readonly source: 'cache' | 'install';
  readonly cacheKey: string;
  /** The zipped node_modules. */
  readonly bytes: number;
}

/** @default 300000: five minutes for `npm ci` */
export const INSTALL_TIMEOUT_MS = 300_000;

/**
 * The artifact-store key of an install: the lockfile and every package.json of the project (npm ci refuses a
 * lockfile out of sync with them, and a cached tree must not hide that), npm's and node's versions, and which
 * install scripts ran. Same key, same tree: a second build of the same lockfile installs nothing.
 */
export async function installCacheKey(project: NpmProject): Promise<string> {
  const hash = createHash('sha256');
  const manifests = ['package.json', ...project.workspaces.map((w) => `${w}/package.json`)];
  hash.update(JSON.stringify({ v: 1, npm: NPM_VERSION, node: process.versions.node, omit: 'dev' }));
  hash.update(JSON.stringify({ scripts: project.scriptPackages }));
  hash.update(createHash('sha256').update(project.lockfile).digest('hex'));
  for (const m of manifests) {
    const file = join(project.root, m);
    hash.update(m);
    hash.update(existsSync(file) ? await readFile(file) : '');
  }
  return `dependencies/npm-${hash.digest('hex')}.zip`;
}

/** What the install needs: the manifests and the lockfile, or the whole project when install scripts run. */
function installArchive(project: NpmProject): Promise<Uint8Array> {
  return project.scriptPackages.length > 0 ? packDirectory(project.root) : manifestArchive(project);
}

/** The project's manifests, lockfile and `.npmrc`, zipped: no service code. */
export async function manifestArchive(project: NpmProject): Promise<Uint8Array> {
  const names = [
    'package.json',
    'package-lock.json',
    '.npmrc',
    ...project.workspaces.map((w) => `${w}/package.json`),
  ];
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    const file = join(project.root, name);
    if (existsSync(file)) files[name] = await readFile(file);
  }
  return zipSync(files, { level: 6 });
}

/** npm's own error code in its output (`npm error code E404`), if any. */
function npmErrorCode(output: string): string | undefined {
  return /npm (?:error|ERR!) code (\S+)/.exec(output)?.[1];
}

/** The failed install as the message Build stops with: the file to fix and how. */
export function installFailure(
  project: NpmProject,
  service: string,
  result: SandboxResult,
  timeoutMs: number,
): DependencyInstallError {
  const lock = `${project.rootPath === '.' ? '' : `${project.rootPath}/`}package-lock.json`;
  const manifest = lock.replace(/package-lock\.json$/, 'package.json');
  const tail = result.output.trim().split('\n').slice(-12).join('\n');
  if (result.timedOut) {
    return new DependencyInstallError(
      `npm ci for ${service} did not finish within ${Math.round(timeoutMs / 1000)} s (${lock}); check the registry's ` +
        `speed and the size of the dependency tree.\n${tail}`,
    );
  }
  const code = npmErrorCode(result.output);
  const missing = /404 Not Found - GET (\S+)|'?([^'\s]+)'? is not in this registry/.exec(result.output);
  if (code === 'EUSAGE' && /in sync/.test(result.output)) {
    return new DependencyInstallError(
      `${lock} is out of sync with ${manifest} of ${service}: run \`npm install\` in ${project.rootPath} and commit ` +
        `package-lock.json.\n${tail}`,
    );
  }
  if (code === 'E404' || missing) {
    const what = missing?.[2] ?? missing?.[1] ?? 'a package';
    return new DependencyInstallError(
      `${lock} of ${service} names a dependency the registry does not have (${what}): fix or remove it in ` +
        `${manifest}, run \`npm install\` and commit package-lock.json.\n${tail}`,
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH/.test(result.output)) {
    return new DependencyInstallError(
      `The npm registry could not be reached installing ${lock} of ${service}: check the registry URL in the ` +
        `service's .npmrc or in the secret named by services[${service}].dependencies.npmrcSecret, and that it is up.\n${tail}`,
    );
  }
  if (code === 'E401' || code === 'E403') {
    return new DependencyInstallError(
      `The npm registry refused the install of ${lock} of ${service} (${code}): check the token in the secret ` +
        `named by services[${service}].dependencies.npmrcSecret.\n${tail}`,
    );
  }
  return new DependencyInstallError(
    `npm ci failed for ${lock} of ${service} (exit ${result.exitCode}):\n${tail}`,
  );
}

/** Unpacks a node_modules archive into the project and links its workspaces as npm does. */
async function placeNodeModules(project: NpmProject, zip: Uint8Array): Promise<void> {
  const modules = join(project.root, 'node_modules');
  await mkdir(modules, { recursive: true });
  await unpackInto(zip, modules);
  const root = resolve(project.root);
  for (const { link, target } of workspaceLinks(project.lock)) {
    const at = resolve(root, link);
    const to = resolve(root, target);
    // Both from the lockfile: neither may leave the project.
    if (!at.startsWith(`${root}${sep}`) || !to.startsWith(`${root}${sep}`) || existsSync(at)) continue;
    await mkdir(dirname(at), { recursive: true });
    await symlink(relative(dirname(at), to), at, 'dir');
  }
}

/**
 * Puts the project's node_modules in place: from the cache when the same lockfile was installed before,
 * otherwise by `npm ci` in the sandbox, then cached. Nothing is written to the artifact store unless the install
 * succeeded whole.
 */
export async function installDependencies(
  project: NpmProject,
  config: ServiceConfig,
  ports: InstallPorts,
  timeoutMs = INSTALL_TIMEOUT_MS,
): Promise<InstallOutcome> {
  const cacheKey = await installCacheKey(project);
  const cached = await ports.artifacts.find(cacheKey);
  if (cached) {
    await placeNodeModules(project, cached);
    return { source: 'cache', cacheKey, bytes: cached.byteLength };
  }
  const archive = await installArchive(project);
  if (archive.byteLength > MAX_INLINE_ARCHIVE_BYTES) {
    throw new DependencyInstallError(
      `${project.rootPath} of ${config.name} is ${(archive.byteLength / 2 ** 20).toFixed(1)} MiB zipped; the sandbox ` +
        `takes up to ${MAX_INLINE_ARCHIVE_BYTES / 2 ** 20} MiB. Move large files out of the project folder.`,
    );
  }
  const npmrc = await ports.npmrc.npmrcFor(config);
  const result = await ports.testSandbox.run({
    checkout: Buffer.from(archive).toString('base64'),
    steps: [
      {
        npm: [
          'ci',
          '--omit=dev',
          '--no-audit',
          '--no-fund',
          ...(project.scriptPackages.length > 0 ? [] : ['--ignore-scripts']),
        ],
      },
    ],
    timeoutMs,
    collect: 'node_modules',
    ...(npmrc !== undefined ? { npmrc } : {}),
  });
  if (result.timedOut || result.exitCode !== 0) throw installFailure(project, config.name, result, timeoutMs);
  const collected = result.collected;
  if (!collected?.zip) {
    throw new DependencyInstallError(
      `node_modules of ${config.name} (${project.rootPath}/package-lock.json) is ` +
        `${((collected?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB zipped; the sandbox answers inline up to ` +
        `${MAX_INLINE_ARCHIVE_BYTES / 2 ** 20} MiB. Trim the production dependencies (devDependencies are not ` +
        'installed at Build).',
    );
  }
  const zip = Buffer.from(collected.zip, 'base64');
  await placeNodeModules(project, zip);
  await ports.artifacts.put(cacheKey, zip);
  return { source: 'install', cacheKey, bytes: zip.byteLength };
}
