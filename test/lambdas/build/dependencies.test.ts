/**
 * Build with npm dependencies, for real: a verdaccio registry on 127.0.0.1 (no uplink, so nothing reaches the
 * public registry), lockfiles written by the project's npm against it (or derived from one by npm's own edits),
 * `npm ci` run by the local sandbox (a process of its own, no credential), and the install cached in the artifact
 * store.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TIMEOUT_MS, auditDependencies, auditStep } from '../../../lambdas/build/audit';
import { buildRelease, sbomKey } from '../../../lambdas/build/build';
import { findNpmProject } from '../../../lambdas/build/npm-project';
import type { ServiceConfig } from '../../../lambdas/core/catalog/types';
import { dependencyDetails } from '../../../lambdas/core/dependency-changes';
import type { BuildResult, ReleaseDocument } from '../../../lambdas/core/model';
import { type SandboxRequest, systemClock } from '../../../lambdas/core/ports';
import type { Ledger } from '../../../lambdas/ledger/ledger';
import { FolderArtifactStore } from '../../../local/adapters/folder-artifact-store';
import { LocalGitSource } from '../../../local/adapters/git-source';
import { LocalNpmRegistry } from '../../../local/npm-registry';
import { LocalNpmrc } from '../../../local/sandbox/local-npmrc';
import { ProcessTestSandbox, projectNpmCli } from '../../../local/sandbox/process-test-sandbox';
import { service } from '../../lib/fixtures';
import {
  type AdvisoryRegistry,
  type BulkAdvisory,
  startAdvisoryRegistry,
} from '../../support/advisory-registry';
import { startTestLedger, type TestLedger } from '../../support/dynamodb';
import { commitFiles, git, newRepository } from '../../support/git';
import { testTempDir } from '../../support/test-temp-dir';

const run = promisify(execFile);
const root = testTempDir('deps-test-');
const reposDir = join(root, 'repos');
const artifacts = new FolderArtifactStore(join(root, 'artifacts'));
const source = new LocalGitSource(reposDir);
const sandbox = new ProcessTestSandbox({ workDir: join(root, 'sandbox-host') });
const requests: SandboxRequest[] = [];
let db: TestLedger;
let ledger: Ledger;
let registry: LocalNpmRegistry;
/** A registry with an audit endpoint in front of verdaccio: it reports ADVISORY for tiny-greeting. */
let advisories: AdvisoryRegistry;

const ADVISORY: BulkAdvisory = {
  id: 1100001,
  url: 'https://github.com/advisories/GHSA-test-0000-0001',
  title: 'Prototype pollution in tiny-greeting',
  severity: 'high',
  vulnerable_versions: '<1.0.1',
  cwe: ['CWE-1321'],
};

/** Small packages published to the registry: one with a marker, one with an install script. */
const PACKAGES: Record<string, Record<string, string>> = {
  'tiny-greeting': {
    'package.json': JSON.stringify({
      name: 'tiny-greeting',
      version: '1.0.0',
      main: 'index.js',
      license: 'MIT',
    }),
    'index.js': "module.exports = (name) => 'tiny-greeting-marker: hello ' + name;\n",
  },
  'tiny-upper': {
    'package.json': JSON.stringify({
      name: 'tiny-upper',
      version: '1.2.0',
      main: 'index.js',
      license: 'ISC',
    }),
    'index.js': "module.exports = (s) => 'tiny-upper-marker ' + s.toUpperCase();\n",
  },
  'copyleft-pkg': {
    'package.json': JSON.stringify({
      name: 'copyleft-pkg',
      version: '2.0.0',
      main: 'index.js',
      license: 'AGPL-3.0-only',
    }),
    'index.js': "module.exports = 'copyleft';\n",
  },
  'scripted-pkg': {
    'package.json': JSON.stringify({
      name: 'scripted-pkg',
      version: '1.0.0',
      main: 'index.js',
      scripts: { postinstall: "node -e \"require('fs').writeFileSync('built.js', 'module.exports = 7;')\"" },
    }),
    'index.js': "module.exports = require('./built.js');\n",
  },
};

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
}

/** Lockfiles written so far in this file, by the project's manifests: the same manifests lock to the same file. */
const lockfiles = new Map<string, Promise<string>>();

/**
 * package-lock.json for `files` (a project), written by the project's npm against the registry, no scripts; once
 * per distinct set of package.json files in this file (npm locks from the manifests alone, and the registry's
 * packages do not change after beforeAll publishes them).
 */
function lockfileFor(files: Record<string, string>): Promise<string> {
  const manifests = Object.entries(files)
    .filter(([path]) => path === 'package.json' || path.endsWith('/package.json'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const key = JSON.stringify(manifests);
  let lockfile = lockfiles.get(key);
  if (!lockfile) {
    lockfile = writeLockfile(Object.fromEntries(manifests));
    lockfiles.set(key, lockfile);
    lockfile.catch(() => lockfiles.delete(key));
  }
  return lockfile;
}

/** The environment of the npm this file runs itself (lockfiles, packing): its home and cache in `dir`. */
function npmEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    npm_config_cache: join(dir, '.cache'),
    npm_config_update_notifier: 'false',
  };
}

async function writeLockfile(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(root, 'lock-'));
  await writeTree(dir, files);
  await writeFile(join(dir, '.npmrc'), registry.npmrc());
  // No audit or funding report: only the lockfile is wanted (verdaccio has no audit endpoint anyway).
  await run(
    process.execPath,
    [projectNpmCli(), 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'],
    { cwd: dir, env: npmEnv(dir) },
  );
  return readFile(join(dir, 'package-lock.json'), 'utf8');
}

/** tiny-greeting and tiny-upper: npm writes this project's lockfile, and two others are derived from it. */
const GREETING_AND_UPPER = { 'tiny-greeting': '^1.0.0', 'tiny-upper': '^1.2.0' };

/**
 * package-lock.json of a project depending on tiny-greeting alone, or (`devUpper`) with tiny-upper as a dev
 * dependency: npm's lockfile of GREETING_AND_UPPER edited as npm writes those projects' lockfiles (the same bytes,
 * checked with npm 11), which saves an npm process for each.
 */
async function greetingLockfile({ devUpper }: { devUpper: boolean }): Promise<string> {
  const lock = JSON.parse(await lockfileFor(serviceFiles(GREETING_AND_UPPER)));
  const top = lock.packages[''];
  const { 'tiny-upper': upper, ...dependencies } = top.dependencies;
  top.dependencies = dependencies;
  const { license, ...entry } = lock.packages['node_modules/tiny-upper'];
  if (devUpper) {
    top.devDependencies = { 'tiny-upper': upper };
    lock.packages['node_modules/tiny-upper'] = { ...entry, dev: true, license };
  } else {
    delete lock.packages['node_modules/tiny-upper'];
  }
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/**
 * Packs the PACKAGES with one npm process and publishes each tarball over the registry's publish API (what
 * `npm publish` sends; LocalNpmRegistry.publish, one npm process per package, runs in test/local/dependencies.test.ts).
 */
async function publishPackages(): Promise<void> {
  const dirs: string[] = [];
  for (const [name, files] of Object.entries(PACKAGES)) {
    const dir = join(root, 'packages', name);
    await writeTree(dir, files);
    dirs.push(dir);
  }
  const out = mkdtempSync(join(root, 'packed-'));
  const { stdout } = await run(
    process.execPath,
    [projectNpmCli(), 'pack', ...dirs, '--json', '--ignore-scripts', '--pack-destination', out],
    { cwd: out, env: npmEnv(out) },
  );
  const packed = JSON.parse(stdout) as { filename: string }[];
  for (const { filename } of packed) await registry.publishTarball(await readFile(join(out, filename)));
}

const HANDLER = `import greet from 'tiny-greeting';
export const handler = async () => ({ statusCode: 200, body: greet('world') });
`;

function serviceFiles(dependencies: Record<string, string>, handler = HANDLER): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: 'svc', version: '1.0.0', dependencies }),
    'src/index.ts': handler,
  };
}

/**
 * An npm monorepo: the api workspace depends on the lib workspace (which depends on tiny-upper); another workspace
 * bundles copyleft-pkg. The monorepo build, its audit and the licence policy build its workspaces: one lockfile,
 * and (the same lockfile and manifests) one install, the later builds' from Build's install cache.
 */
const MONOREPO: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }),
  'packages/lib/package.json': JSON.stringify({
    name: '@mono/lib',
    version: '1.0.0',
    main: 'index.js',
    dependencies: { 'tiny-upper': '^1.0.0' },
  }),
  'packages/lib/index.js': "module.exports = (s) => require('tiny-upper')(s) + ' via-mono-lib';\n",
  // Another service of the monorepo: its dependencies are not the api's.
  'packages/other/package.json': JSON.stringify({
    name: '@mono/other',
    version: '1.0.0',
    dependencies: { 'copyleft-pkg': '2.0.0' },
  }),
  'packages/other/src/index.ts':
    "import c from 'copyleft-pkg';\nexport const handler = async () => ({ statusCode: 200, body: c });\n",
  'packages/api/package.json': JSON.stringify({
    name: '@mono/api',
    version: '1.0.0',
    dependencies: { '@mono/lib': '*', 'tiny-greeting': '^1.0.0' },
  }),
  'packages/api/src/index.ts': `import greet from 'tiny-greeting';
import shout from '@mono/lib';
export const handler = async () => ({ statusCode: 200, body: greet(shout('x')) });
`,
};

let counter = 0;
/** A repository holding `files` with a lockfile for them (unless `lock` is false); returns its config and head. */
async function repoWith(
  files: Record<string, string>,
  overrides: Parameters<typeof service>[1] = {},
  lock: boolean | string = true,
): Promise<{ config: ServiceConfig; sha: string; repo: string }> {
  counter += 1;
  const name = `svc${counter}`;
  const config = service(name, { ...overrides, source: { repository: name, ...overrides.source } });
  const repo = join(reposDir, name);
  const lockfile = typeof lock === 'string' ? lock : lock ? await lockfileFor(files) : undefined;
  const folder = mkdtempSync(join(root, 'src-'));
  await writeTree(folder, { ...files, ...(lockfile ? { 'package-lock.json': lockfile } : {}) });
  const sha = await newRepository(repo, { '.': folder });
  return { config, sha, repo };
}

async function documentFor(config: ServiceConfig, sha: string): Promise<ReleaseDocument> {
  const commit = await source.resolveCommit(config.source, sha);
  const releaseId = `${config.name}-${sha.slice(0, 12)}`;
  const release = {
    releaseId,
    service: config.name,
    mode: 'deployment' as const,
    commit,
    startedAt: new Date().toISOString(),
    trigger: { source: 'manual' as const },
  };
  await ledger.startRelease(release);
  return { releaseId, service: config.name, commit: sha, trigger: release.trigger, release, config };
}

function ports(npmrc = registry.npmrc()) {
  return {
    source,
    artifacts,
    ledger,
    clock: systemClock,
    workDir: join(root, 'work'),
    testSandbox: {
      run: (request: SandboxRequest) => {
        requests.push(request);
        return sandbox.run(request);
      },
    },
    npmrc: new LocalNpmrc(join(root, 'secrets'), npmrc),
  };
}

/** The service's registry is the one with an audit endpoint (packages still come from verdaccio through it). */
const withAdvisories = () => ports(`registry=${advisories.url}\n`);

/** The Build of MONOREPO's api workspace, with what it asked the sandbox and the audit endpoint. */
let monorepoApi:
  | Promise<{
      built: BuildResult;
      steps: SandboxRequest['steps'][];
      bulkRequests: Record<string, string[]>[];
    }>
  | undefined;

/**
 * Builds MONOREPO's api workspace once for this file, against the registry with an audit endpoint: the monorepo
 * build test checks its bundle, the monorepo audit test what it audited. One Build, two checks of it (its install
 * and its audit each run once either way); whichever test runs first, alone or not, builds it.
 */
function monorepoApiBuild() {
  monorepoApi ??= (async () => {
    const { config, sha } = await repoWith(MONOREPO, { source: { path: 'packages/api' } });
    const asked = advisories.bulkRequests.length;
    const before = requests.length;
    const built = await buildRelease(await documentFor(config, sha), withAdvisories());
    return {
      built,
      steps: requests.slice(before).map((r) => r.steps),
      bulkRequests: advisories.bulkRequests.slice(asked),
    };
  })();
  return monorepoApi;
}

/** The first release of a service depending on tiny-greeting: its Build, and what that Build asked the sandbox. */
let greetingRelease:
  | Promise<{
      config: ServiceConfig;
      sha: string;
      repo: string;
      doc: ReleaseDocument;
      built: BuildResult;
      requests: SandboxRequest[];
      /** What the Build added to the artifact store. */
      stored: string[];
    }>
  | undefined;

/**
 * Builds the first release of a service depending on tiny-greeting once for this file: the install test checks its
 * install, the SBOM test its SBOM (the same Build either would run). Each then builds a commit of its own on top
 * of it (commitOn); whichever test runs first, alone or not, builds it.
 */
function greetingFirstRelease() {
  greetingRelease ??= (async () => {
    const { config, sha, repo } = await repoWith(
      serviceFiles({ 'tiny-greeting': '^1.0.0' }),
      {},
      await greetingLockfile({ devUpper: false }),
    );
    const doc = await documentFor(config, sha);
    const before = requests.length;
    const keys = storedKeys();
    const built = await buildRelease(doc, ports());
    const stored = storedKeys().filter((k) => !keys.includes(k));
    return { config, sha, repo, doc, built, requests: requests.slice(before), stored };
  })();
  return greetingRelease;
}

/** Commits `files` on top of `parent`, whatever else was committed in the repository since. */
async function commitOn(repo: string, parent: string, files: Record<string, string>, message: string) {
  await git(repo, ['checkout', '--quiet', '--detach', parent]);
  return commitFiles(repo, files, message);
}

async function bundleOf(artifactKey: string): Promise<string> {
  return Buffer.from(unzipSync(await artifacts.get(artifactKey))['index.js'] ?? []).toString();
}

/** Everything in the artifact store, relative keys. */
function storedKeys(): string[] {
  const base = join(root, 'artifacts');
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(base.length + 1))
    .sort();
}

beforeAll(async () => {
  db = await startTestLedger();
  ledger = await db.newLedger();
  registry = await LocalNpmRegistry.start({ dir: join(root, 'registry') });
  await publishPackages();
  advisories = await startAdvisoryRegistry(registry.url, { 'tiny-greeting': [ADVISORY] });
}, 120_000);

afterAll(async () => {
  await advisories?.close();
  await registry?.close();
  await db?.stop();
});

describe('Build with npm dependencies', () => {
  it('installs from the lockfile in the sandbox, bundles the dependency, and caches the install', async () => {
    const { config, sha, repo, built: first, requests: made, stored } = await greetingFirstRelease();
    expect(await bundleOf(first.artifactKey)).toContain('tiny-greeting-marker');
    // Two sandbox runs: the install, then npm audit of the lockfile.
    expect(made).toHaveLength(2);
    const [install, audit] = made;
    expect(install?.steps).toEqual([
      { npm: ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'] },
    ]);
    expect(install?.collect).toBe('node_modules');
    // Only the manifests and the lockfile travel to the install: no service code.
    expect(Object.keys(unzipSync(Buffer.from(install?.checkout ?? '', 'base64'))).sort()).toEqual([
      'package-lock.json',
      'package.json',
    ]);
    expect(audit?.steps).toEqual([{ npm: auditStep(AUDIT_TIMEOUT_MS) }]);
    expect(audit?.collect).toBeUndefined();
    expect(audit?.npmrc).toBe(registry.npmrc());
    expect(Object.keys(unzipSync(Buffer.from(audit?.checkout ?? '', 'base64'))).sort()).toEqual([
      'package-lock.json',
      'package.json',
    ]);
    expect(stored.filter((k) => k.startsWith('dependencies/'))).toHaveLength(1);
    const record = await ledger.getRelease(`${config.name}-${sha.slice(0, 12)}`);
    expect(record?.stages.Build?.detail).toMatch(/dependencies installed with npm ci/);

    // A new commit with the same lockfile: no install, the cached tree, the same bundle.
    const next = await commitOn(repo, sha, { 'README.md': 'docs only\n' }, 'Docs');
    const before = requests.length;
    const second = await buildRelease(await documentFor(config, next), ports());
    // No install; the audit runs again (advisories appear after a lockfile is written).
    expect(requests.slice(before).map((r) => r.steps)).toEqual([[{ npm: auditStep(AUDIT_TIMEOUT_MS) }]]);
    expect(second.sha256).toBe(first.sha256);
    expect((await ledger.getRelease(`${config.name}-${next.slice(0, 12)}`))?.stages.Build?.detail).toMatch(
      /dependencies from the cache/,
    );
  }, 120_000);

  it('builds a workspace of an npm monorepo: installed at the root, its workspace dependency linked', async () => {
    const { built } = await monorepoApiBuild();
    const bundle = await bundleOf(built.artifactKey);
    expect(bundle).toContain('tiny-greeting-marker');
    expect(bundle).toContain('tiny-upper-marker');
    expect(bundle).toContain('via-mono-lib');
  }, 120_000);

  it('runs install scripts only for packages the catalog allows, and names the others', async () => {
    const files = serviceFiles(
      { 'scripted-pkg': '1.0.0' },
      "import seven from 'scripted-pkg';\nexport const handler = async () => ({ statusCode: 200, body: String(seven) });\n",
    );
    const lockfile = await lockfileFor(files);
    const refused = await repoWith(files, {}, lockfile);
    const keys = storedKeys();
    await expect(buildRelease(await documentFor(refused.config, refused.sha), ports())).rejects.toMatchObject(
      {
        name: 'DependencyInstallError',
        message: expect.stringMatching(
          /^package-lock\.json: scripted-pkg has an install script that the catalog does not allow for svc\d+\. Add "scripted-pkg" to services\[svc\d+\]\.dependencies\.allowInstallScripts/,
        ),
      },
    );
    expect(storedKeys()).toEqual(keys);

    const allowed = await repoWith(
      files,
      { dependencies: { allowInstallScripts: ['scripted-pkg'] } },
      lockfile,
    );
    const built = await buildRelease(await documentFor(allowed.config, allowed.sha), ports());
    // The postinstall script ran (in the sandbox) and wrote the module the bundle now holds.
    expect(await bundleOf(built.artifactKey)).toContain('exports=7');
    expect(requests[requests.length - 2]?.steps).toEqual([
      { npm: ['ci', '--omit=dev', '--no-audit', '--no-fund'] },
    ]);
    // The install got the whole project (a script may need it); the audit only the manifests and the lockfile.
    expect(
      Object.keys(unzipSync(Buffer.from(requests[requests.length - 2]?.checkout ?? '', 'base64'))),
    ).toContain('src/index.ts');
    const audit = requests[requests.length - 1];
    expect(audit?.steps).toEqual([{ npm: auditStep(AUDIT_TIMEOUT_MS) }]);
    expect(Object.keys(unzipSync(Buffer.from(audit?.checkout ?? '', 'base64'))).sort()).toEqual([
      'package-lock.json',
      'package.json',
    ]);
  }, 120_000);

  it('gives the install the npmrc of the service’s secret (a private registry and its token), and names a missing one', async () => {
    // A lockfile of its own: the same lockfile would come from the cache, with no install.
    const files = serviceFiles(GREETING_AND_UPPER);
    const { config, sha } = await repoWith(files, { dependencies: { npmrcSecret: 'team/npmrc' } });
    await mkdir(join(root, 'secrets', 'team'), { recursive: true });
    await writeFile(join(root, 'secrets', 'team', 'npmrc'), registry.npmrc({ withToken: true }), {
      mode: 0o600,
    });
    const before = requests.length;
    // The default npmrc points nowhere: only the secret's registry works.
    await buildRelease(await documentFor(config, sha), ports('registry=http://127.0.0.1:9/\n'));
    const install = requests[before];
    expect(install?.npmrc).toBe(registry.npmrc({ withToken: true }));
    // The audit asks the same registry, with the same token.
    expect(requests[before + 1]?.npmrc).toBe(registry.npmrc({ withToken: true }));

    // A missing secret stops the install of a project not in the cache: another package.json (the install key
    // covers it) with the same lockfile, which npm writes alike with or without a description.
    const other = {
      ...files,
      'package.json': JSON.stringify({
        name: 'svc',
        version: '1.0.0',
        description: 'private',
        dependencies: GREETING_AND_UPPER,
      }),
    };
    const missing = await repoWith(
      other,
      { dependencies: { npmrcSecret: 'absent' } },
      await lockfileFor(files),
    );
    await expect(buildRelease(await documentFor(missing.config, missing.sha), ports())).rejects.toThrow(
      `The npmrc secret absent of ${missing.config.name} is missing: write the registry's .npmrc to ${join(root, 'secrets', 'absent')}`,
    );
  }, 120_000);
});

describe('Build with npm dependencies: the SBOM and the licence policy', () => {
  it('stores a CycloneDX SBOM of the bundled packages beside the artifact, and the diff since the live release', async () => {
    // The install test's first release (one Build for both).
    const { config, sha, repo, doc: firstDoc, built: first } = await greetingFirstRelease();
    const sbom = JSON.parse(
      new TextDecoder().decode(
        await artifacts.get(`releases/${config.name}/${firstDoc.releaseId}/sbom.cdx.json`),
      ),
    );
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5' });
    // verdaccio has no audit endpoint: "not run", with npm's reason, never a pass.
    const noEndpoint = new RegExp(
      `^the registry has no audit endpoint \\(404 Not Found - POST ${registry.url}-/npm/v1/security/advisories/bulk\\)$`,
    );
    expect(sbom.metadata.properties).toEqual([
      { name: 'sluice:npm-audit', value: 'not run' },
      {
        name: 'sluice:npm-audit:summary',
        value: expect.stringMatching(/^npm audit not run: the registry has no audit endpoint/),
      },
    ]);
    expect(sbom.components).toEqual([
      expect.objectContaining({
        name: 'tiny-greeting',
        version: '1.0.0',
        purl: 'pkg:npm/tiny-greeting@1.0.0',
        licenses: [{ expression: 'MIT' }],
        hashes: [expect.objectContaining({ alg: 'SHA-512' })],
      }),
    ]);
    expect(first.dependencies).toMatchObject({
      comparedWithLive: false,
      packages: 1,
      added: ['tiny-greeting@1.0.0 (MIT)'],
      audit: { status: 'not run', reason: expect.stringMatching(noEndpoint) },
    });

    // The first release goes live; the next one adds a package: the approver sees it, with its licence.
    await ledger.setLive(config.name, {
      liveVersion: '1',
      liveReleaseId: firstDoc.releaseId,
      liveCommit: sha,
      updatedAt: new Date().toISOString(),
    });
    const files = serviceFiles(
      GREETING_AND_UPPER,
      `import greet from 'tiny-greeting';
import upper from 'tiny-upper';
export const handler = async () => ({ statusCode: 200, body: greet(upper('x')) });
`,
    );
    const next = await commitOn(
      repo,
      sha,
      { ...files, 'package-lock.json': await lockfileFor(files) },
      'Add tiny-upper',
    );
    const second = await buildRelease(await documentFor(config, next), ports());
    expect(second.dependencies).toMatchObject({
      comparedWithLive: true,
      packages: 2,
      added: ['tiny-upper@1.2.0 (ISC)'],
      changed: [],
      removed: [],
    });
    const record = await ledger.getRelease(`${config.name}-${next.slice(0, 12)}`);
    expect(record?.stages.Build?.detail).toMatch(
      /2 npm packages bundled \(\+1 ~0 -0 since live\); npm audit not run: the registry has no audit endpoint \(404 /,
    );
  }, 120_000);

  it('stops at Build, naming the package, when a bundled licence is denied; nothing is stored', async () => {
    // The monorepo's other workspace bundles copyleft-pkg: the licence is checked on what Build bundles, whatever
    // the install's source (here the cache of the monorepo build when that test ran first).
    const { config, sha } = await repoWith(MONOREPO, {
      source: { path: 'packages/other' },
      dependencies: { deniedLicenses: ['AGPL-3.0'] },
    });
    const doc = await documentFor(config, sha);
    await expect(buildRelease(doc, ports())).rejects.toMatchObject({
      name: 'DeniedLicenseError',
      message: expect.stringContaining(
        `package-lock.json of ${config.name}: copyleft-pkg@2.0.0 (AGPL-3.0-only) is under a licence services[${config.name}].dependencies.deniedLicenses refuses`,
      ),
    });
    expect(storedKeys().filter((k) => k.startsWith(`releases/${config.name}/`))).toEqual([]);
  }, 120_000);
});

describe('Build with npm dependencies: npm audit of the lockfile, in the sandbox', () => {
  const LINE =
    'tiny-greeting@1.0.0 (high): Prototype pollution in tiny-greeting, https://github.com/advisories/GHSA-test-0000-0001 ' +
    '(vulnerable <1.0.1); fix: no fixed version is available: replace the package or accept the risk';
  /** tiny-upper is a dev dependency: neither installed for Build nor audited. */
  const files = () => ({
    ...serviceFiles({}),
    'package.json': JSON.stringify({
      name: 'svc',
      version: '1.0.0',
      dependencies: { 'tiny-greeting': '^1.0.0' },
      devDependencies: { 'tiny-upper': '^1.2.0' },
    }),
  });
  /** A repository of files() and its lockfile. */
  const repoOfFiles = async (overrides: Parameters<typeof service>[1] = {}) =>
    repoWith(files(), overrides, await greetingLockfile({ devUpper: true }));

  it('records what the registry reports (no auditLevel: report only): BuildResult, SBOM, Build record, approval', async () => {
    const { config, sha } = await repoOfFiles();
    const doc = await documentFor(config, sha);
    const asked = advisories.bulkRequests.length;
    const built = await buildRelease(doc, withAdvisories());
    // npm's bulk request: the production packages of the lockfile and their versions.
    expect(advisories.bulkRequests.slice(asked)).toEqual([{ 'tiny-greeting': ['1.0.0'] }]);
    expect(built.dependencies?.audit).toEqual({
      status: 'found',
      advisories: [
        {
          package: 'tiny-greeting',
          versions: ['1.0.0'],
          severity: 'high',
          title: 'Prototype pollution in tiny-greeting',
          url: 'https://github.com/advisories/GHSA-test-0000-0001',
          range: '<1.0.1',
          fix: 'no fixed version is available: replace the package or accept the risk',
        },
      ],
      counts: { high: 1 },
    });
    const sbom = JSON.parse(
      new TextDecoder().decode(await artifacts.get(sbomKey(config.name, doc.releaseId))),
    );
    expect(sbom.metadata.properties).toEqual([
      { name: 'sluice:npm-audit', value: 'found' },
      { name: 'sluice:npm-audit:summary', value: 'npm audit: 1 advisory (1 high)' },
    ]);
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toMatch(
      /1 npm package bundled \(nothing live to compare\); npm audit: 1 advisory \(1 high\)$/,
    );
    expect(dependencyDetails(built.dependencies)).toEqual([
      'Dependencies: 1 npm package bundled, 1 change nothing live to compare with: all new; npm audit: 1 advisory (1 high)',
      'Dependency added tiny-greeting@1.0.0 (MIT)',
      `Advisory ${LINE}`,
    ]);
  }, 120_000);

  it('stops Build at auditLevel "high", naming the package, its severity, the advisory and the fix; nothing stored', async () => {
    const { config, sha } = await repoOfFiles({ dependencies: { auditLevel: 'high' } });
    await expect(buildRelease(await documentFor(config, sha), withAdvisories())).rejects.toMatchObject({
      name: 'VulnerableDependencyError',
      message:
        `npm audit of ${config.name}'s package-lock.json: 1 advisory at or above ` +
        `services[${config.name}].dependencies.auditLevel "high":\n- ${LINE}\nUpgrade or replace the named packages ` +
        `and commit package-lock.json, or raise services[${config.name}].dependencies.auditLevel in the catalog if ` +
        'the risk is accepted.',
    });
    expect(storedKeys().filter((k) => k.startsWith(`releases/${config.name}/`))).toEqual([]);
  }, 120_000);

  it('passes below the level (auditLevel "critical"), the advisory still reported', async () => {
    const { config, sha } = await repoOfFiles({ dependencies: { auditLevel: 'critical' } });
    const doc = await documentFor(config, sha);
    const built = await buildRelease(doc, withAdvisories());
    expect(built.dependencies?.audit).toMatchObject({
      status: 'passed',
      level: 'critical',
      counts: { high: 1 },
      advisories: [{ package: 'tiny-greeting', severity: 'high' }],
    });
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toMatch(
      /; npm audit passed auditLevel "critical": 1 advisory \(1 high\) below it$/,
    );
  }, 120_000);

  it('no audit endpoint, or no registry: Build goes on, "not run" with the reason and the level it could not check', async () => {
    const { config, sha, repo } = await repoOfFiles({ dependencies: { auditLevel: 'low' } });
    const doc = await documentFor(config, sha);
    const built = await buildRelease(doc, ports());
    expect(built.dependencies?.audit).toEqual({
      status: 'not run',
      reason: expect.stringMatching(/^the registry has no audit endpoint \(404 Not Found - POST /),
      level: 'low',
    });
    expect((await ledger.getRelease(doc.releaseId))?.stages.Build?.detail).toMatch(
      /; npm audit not run: the registry has no audit endpoint \(.*\); auditLevel "low" could not be checked$/,
    );
    // Offline: the install comes from the cache, the audit cannot reach the registry.
    const next = await commitFiles(repo, { 'README.md': 'offline\n' }, 'Docs');
    const offline = await buildRelease(
      await documentFor(config, next),
      ports('registry=http://127.0.0.1:9/\n'),
    );
    expect(offline.dependencies?.audit).toEqual({
      status: 'not run',
      reason: expect.stringMatching(/^the registry could not be reached \(.*ECONNREFUSED 127\.0\.0\.1:9\)$/),
      level: 'low',
    });
  }, 120_000);

  it('audits only what the workspace of a monorepo depends on', async () => {
    // The Build the monorepo build test checks the bundle of (one Build for both).
    const { built, steps, bulkRequests } = await monorepoApiBuild();
    expect(steps).toContainEqual([{ npm: auditStep(AUDIT_TIMEOUT_MS, 'packages/api') }]);
    expect(bulkRequests).toEqual([{ 'tiny-greeting': ['1.0.0'], 'tiny-upper': ['1.2.0'] }]);
    expect(built.dependencies?.audit).toMatchObject({
      status: 'found',
      advisories: [{ package: 'tiny-greeting' }],
    });
  }, 120_000);

  it('an audit endpoint that does not answer: "not run" within the audit’s timeout', async () => {
    const silent = await startAdvisoryRegistry(registry.url, {}, { hang: true });
    try {
      const dir = mkdtempSync(join(root, 'hang-'));
      await writeTree(dir, {
        ...files(),
        'package-lock.json': await greetingLockfile({ devUpper: true }),
      });
      const found = findNpmProject(dir, dir, 'svc');
      if (!found) throw new Error('no npm project');
      const run = await auditDependencies(found, service('svc'), ports(`registry=${silent.url}\n`), {
        timeoutMs: 6000,
      });
      // npm's own fetch timeout (half the run's) or, on a slow machine, the sandbox's: either way not run.
      expect(run).toEqual({
        ran: false,
        reason: expect.stringMatching(
          /^(the registry did not answer in time|npm audit did not finish within 6 s)/,
        ),
      });
      const bulk = { 'tiny-greeting': ['1.0.0'] };
      if (!run.ran && run.reason.startsWith('the registry did not answer')) {
        expect(silent.bulkRequests).toEqual([bulk]);
      } else {
        // The sandbox's timeout came first: on a starved machine npm may not have sent its request by then.
        expect([[], [bulk]]).toContainEqual(silent.bulkRequests);
      }
    } finally {
      await silent.close();
    }
  }, 120_000);
});

describe('Build with npm dependencies: bad input ends the release at Build, nothing half-written', () => {
  async function expectBuildFails(
    files: Record<string, string>,
    message: RegExp,
    lock: boolean | string = true,
    npmrc?: string,
  ): Promise<void> {
    const { config, sha } = await repoWith(files, {}, lock);
    const keys = storedKeys();
    await expect(buildRelease(await documentFor(config, sha), ports(npmrc))).rejects.toMatchObject({
      name: 'DependencyInstallError',
      message: expect.stringMatching(message),
    });
    expect(storedKeys()).toEqual(keys);
  }

  it('a missing lockfile', async () => {
    await expectBuildFails(
      serviceFiles({ 'tiny-greeting': '^1.0.0' }),
      /^package\.json of svc\d+ lists dependencies but package-lock\.json is missing: run `npm install` in \. and commit package-lock\.json/,
      false,
    );
  });

  it('a pnpm or yarn lockfile without package-lock.json', async () => {
    await expectBuildFails(
      { ...serviceFiles({ 'tiny-greeting': '^1.0.0' }), 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n" },
      /^pnpm-lock\.yaml: this lockfile is not supported yet/,
      false,
    );
    await expectBuildFails(
      { ...serviceFiles({ 'tiny-greeting': '^1.0.0' }), 'yarn.lock': '# yarn lockfile v1\n' },
      /^yarn\.lock: this lockfile is not supported yet/,
      false,
    );
  });

  it('a lockfile out of sync with package.json', async () => {
    const lockfile = await greetingLockfile({ devUpper: false });
    await expectBuildFails(
      serviceFiles({ 'tiny-greeting': '^1.0.0', 'tiny-upper': '^1.0.0' }),
      /^package-lock\.json is out of sync with package\.json of svc\d+: run `npm install` in \. and commit/,
      lockfile,
    );
  }, 60_000);

  it('a registry that cannot be reached', async () => {
    const files = serviceFiles({ 'tiny-greeting': '^1.0.0' });
    // The lockfile's tarball URLs and the configured registry both point at a closed port.
    const lockfile = (await greetingLockfile({ devUpper: false }))
      .split(registry.url)
      .join('http://127.0.0.1:9/');
    await expectBuildFails(
      files,
      /^The npm registry could not be reached installing package-lock\.json of svc\d+: check the registry URL/,
      lockfile,
      'registry=http://127.0.0.1:9/\nfetch-retries=0\n',
    );
  }, 60_000);

  it('a dependency that does not exist', async () => {
    const files = serviceFiles({ 'tiny-greeting': '^1.0.0', 'ghost-pkg': '1.0.0' });
    const real = JSON.parse(await greetingLockfile({ devUpper: false }));
    const entry = real.packages['node_modules/tiny-greeting'];
    real.packages[''].dependencies['ghost-pkg'] = '1.0.0';
    real.packages['node_modules/ghost-pkg'] = {
      ...entry,
      resolved: `${registry.url}ghost-pkg/-/ghost-pkg-1.0.0.tgz`,
    };
    await expectBuildFails(
      files,
      /^package-lock\.json of svc\d+ names a dependency the registry does not have \(.*ghost-pkg.*\): fix or remove it in package\.json/,
      JSON.stringify(real, null, 2),
    );
  }, 60_000);
});
