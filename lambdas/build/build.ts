import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { build as esbuild } from 'esbuild';
import { zipSync } from 'fflate';
import type { ServiceConfig } from '../core/catalog/types';
import { auditSummary } from '../core/dependency-changes';
import { BuildFailedError, EntryPointNotFoundError } from '../core/errors';
import type { BuildResult, BuiltDependencies, ReleaseDocument } from '../core/model';
import type { NpmAuditOutcome } from '../core/npm-audit';
import type { Ports } from '../core/ports';
import { serviceWrapperSource } from '../core/service-wrapper';
import { repositoryFolderOf } from '../core/source-path';
import { recordStageSucceeded } from '../core/stage-record';
import { formatEsbuildErrors, isEsbuildFailure, withCheckout } from '../runtime/workspace';
import { auditDependencies, auditOutcome } from './audit';
import { buildDetail, keepBuiltArtifact, promoteEarlierBuild } from './build-once';
import { type InstallOutcome, installDependencies } from './install';
import { findNpmProject, type NpmProject } from './npm-project';
import {
  type BundledPackage,
  bundledPackages,
  checkLicenses,
  cycloneDx,
  dependencyChanges,
  packagesOfSbom,
} from './sbom';

export type BuildPorts = Pick<
  Ports,
  'source' | 'artifacts' | 'ledger' | 'clock' | 'workDir' | 'testSandbox' | 'npmrc'
>;

/** Fixed zip entry time, so the same source always gives the same artifact hash. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

/** The artifact key of a release: one zip, deployable as Lambda code as it is. */
export function artifactKey(service: string, releaseId: string): string {
  return `releases/${service}/${releaseId}/artifact.zip`;
}

/**
 * Bundles the service's handler, inside the metrics wrapper (lambdas/core/service-wrapper.ts), with esbuild into a
 * Lambda-ready zip (`index.js`) in the artifact store. A service with npm dependencies gets its node_modules
 * first: `npm ci` in the sandbox, or the cached install of the same lockfile (lambdas/build/install.ts), and an
 * `npm audit` of the lockfile in the sandbox (lambdas/build/audit.ts). A retry
 * promotes the verified artifact of an earlier attempt instead (build-once.ts).
 */
export async function buildRelease(doc: ReleaseDocument, ports: BuildPorts): Promise<BuildResult> {
  const startedAt = ports.clock.now();
  const earlier = await promoteEarlierBuild(doc, startedAt, ports);
  if (earlier.promoted) return earlier.promoted;
  const { config, release } = doc;
  const built = await withCheckout(ports, config, release.commit.sha, async (dir) => {
    if (!needsWorkspaceRoot(dir, config)) return bundleService(dir, dir, doc, ports);
    // npm workspaces: install at the repository root, build the workspace named by source.path.
    const root = { ...config, source: { ...config.source, path: '.' } };
    return withCheckout(ports, root, release.commit.sha, (repoRoot) =>
      bundleService(repoRoot, join(repoRoot, repositoryFolderOf(config.source.path)), doc, ports),
    );
  });
  const { bundle, installed, packages, audit } = built;
  const zip = zipSync({ 'index.js': [bundle, { mtime: ZIP_MTIME }] }, { level: 9 });
  const sha256 = createHash('sha256').update(zip).digest('hex');
  // The SBOM first: an artifact in the store always has its SBOM beside it.
  const dependencies =
    packages && audit ? await storeSbom(doc, { packages, audit }, sha256, ports) : undefined;
  const stored = await ports.artifacts.put(artifactKey(config.name, release.releaseId), zip);
  const result: BuildResult = {
    artifactKey: stored.key,
    sha256: stored.sha256 || sha256,
    bytes: stored.bytes,
    durationMs: ports.clock.now().getTime() - startedAt.getTime(),
    ...(dependencies && { dependencies }),
  };
  await keepBuiltArtifact(doc, result, ports);
  await recordStageSucceeded(
    ports,
    release.releaseId,
    'Build',
    startedAt,
    `${buildDetail(result, earlier.rebuildReason)}${installedNote(installed)}${dependenciesNote(dependencies)}`,
  );
  return result;
}

/** A service folder with a package.json and no lockfile, below the root: maybe a workspace of a root project. */
function needsWorkspaceRoot(dir: string, config: ServiceConfig): boolean {
  return (
    repositoryFolderOf(config.source.path) !== '' &&
    existsSync(join(dir, 'package.json')) &&
    !existsSync(join(dir, 'package-lock.json'))
  );
}

function installedNote(installed: InstallOutcome | undefined): string {
  if (!installed) return '';
  const kb = Math.round(installed.bytes / 1024);
  return installed.source === 'cache'
    ? `; dependencies from the cache (${kb} KB)`
    : `; dependencies installed with npm ci (${kb} KB, cached)`;
}

/**
 * Installs the service's dependencies (when its npm project has any), audits its lockfile with npm audit, and
 * bundles its handler, inside the metrics wrapper, with esbuild. `repoRoot` is the checkout's root, `dir` the
 * service folder in it.
 */
async function bundleService(
  repoRoot: string,
  dir: string,
  doc: ReleaseDocument,
  ports: BuildPorts,
): Promise<Bundled> {
  const { config, release } = doc;
  const entry = join(dir, config.runtime.entry);
  if (!existsSync(entry)) {
    throw new EntryPointNotFoundError(
      `Entry point ${config.runtime.entry} not found in ${config.source.repository} at ${release.commit.sha.slice(0, 12)}` +
        ` (path '${config.source.path}'); add the file or fix services[${config.name}].runtime.entry in the catalog`,
    );
  }
  const project = findNpmProject(repoRoot, dir, config.name, config.dependencies);
  const installed = project ? await installDependencies(project, config, ports) : undefined;
  // Before bundling: advisories at or above the catalog's auditLevel stop the build here.
  const audit = project
    ? auditOutcome(
        await auditDependencies(project, config, ports, { workspace: workspaceOf(project, dir) }),
        config.dependencies?.auditLevel,
        config.name,
      )
    : undefined;
  let bundled: { bundle: Uint8Array; inputs: string[] };
  try {
    const result = await esbuild({
      // The wrapper is the entry: it imports the service's handler and counts its 5xx answers (item 2).
      stdin: {
        contents: serviceWrapperSource({
          entry: `./${posix.normalize(config.runtime.entry.split(sep).join('/'))}`,
          handler: config.runtime.handler,
          service: config.name,
        }),
        resolveDir: dir,
        sourcefile: 'sluice-service-wrapper.js',
        loader: 'js',
      },
      absWorkingDir: dir,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      write: false,
      outfile: join(dir, 'out', 'index.js'),
      logLevel: 'silent',
      // Which files went in: the SBOM lists the npm packages among them.
      metafile: true,
    });
    const output = result.outputFiles.find((f) => f.path.endsWith('index.js'));
    if (!output) throw new BuildFailedError(`esbuild produced no index.js for ${config.runtime.entry}`);
    bundled = { bundle: output.contents, inputs: Object.keys(result.metafile.inputs) };
  } catch (error) {
    if (isEsbuildFailure(error)) {
      throw new BuildFailedError(`Build of ${config.name} failed:\n${formatEsbuildErrors(error.errors)}`);
    }
    throw error;
  }
  if (!project || !audit) return { bundle: bundled.bundle };
  const packages = bundledPackages(bundled.inputs, dir, project);
  checkLicenses(packages, config.dependencies?.deniedLicenses ?? [], config.name);
  return { bundle: bundled.bundle, ...(installed && { installed }), packages, audit };
}

/** The service folder as a workspace of its npm project (`packages/api`), if it is one. */
function workspaceOf(project: NpmProject, dir: string): string | undefined {
  const folder = relative(project.root, dir).split(sep).join('/');
  return folder !== '' && project.workspaces.includes(folder) ? folder : undefined;
}

interface Bundled {
  readonly bundle: Uint8Array;
  readonly installed?: InstallOutcome;
  /** The npm packages in the bundle; absent when the service has no npm project. */
  readonly packages?: readonly BundledPackage[];
  /** The npm audit of the project's lockfile; absent with the packages. */
  readonly audit?: NpmAuditOutcome;
}

/** The SBOM of a release, beside its artifact. */
export function sbomKey(service: string, releaseId: string): string {
  return `releases/${service}/${releaseId}/sbom.cdx.json`;
}

/**
 * Stores the release's SBOM and compares its packages with the live release's SBOM (none when nothing is live
 * or the live release bundled no npm package).
 */
async function storeSbom(
  doc: ReleaseDocument,
  built: { packages: readonly BundledPackage[]; audit: NpmAuditOutcome },
  artifactSha256: string,
  ports: BuildPorts,
): Promise<BuiltDependencies> {
  const { config, release } = doc;
  const key = sbomKey(config.name, release.releaseId);
  const { packages, audit } = built;
  const sbom = cycloneDx(packages, {
    service: config.name,
    audit,
    commit: release.commit.sha,
    artifactSha256,
    timestamp: ports.clock.now().toISOString(),
  });
  await ports.artifacts.put(key, new TextEncoder().encode(sbom));
  const liveId = (await ports.ledger.getServiceState(config.name))?.liveReleaseId;
  const live = liveId ? await ports.artifacts.find(sbomKey(config.name, liveId)) : undefined;
  const livePackages = live ? packagesOfSbom(new TextDecoder().decode(live)) : undefined;
  return { ...dependencyChanges(livePackages, packages), sbomKey: key, audit };
}

function dependenciesNote(d: BuiltDependencies | undefined): string {
  if (!d) return '';
  const vs = d.comparedWithLive
    ? `+${d.added.length} ~${d.changed.length} -${d.removed.length} since live`
    : 'nothing live to compare';
  return `; ${d.packages} npm package${d.packages === 1 ? '' : 's'} bundled (${vs}); ${auditSummary(d.audit)}`;
}
