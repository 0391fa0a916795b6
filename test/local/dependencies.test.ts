/**
 * A service with npm dependencies released on the real local runtime: Build's `npm ci` in the local sandbox
 * against a registry on 127.0.0.1 (SLUICE_NPM_REGISTRY), the bundle live behind the deploy target; and a
 * release whose package.json has no lockfile, ended at Build with the file and the fix.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalNpmRegistry } from '../../local/npm-registry';
import type { LocalSluice } from '../../local/runtime';
import { projectNpmCli } from '../../local/sandbox/process-test-sandbox';
import { commitFiles, git, newRepository } from '../support/git';
import { startLocalSluice } from '../support/shared';
import { testTempDir } from '../support/test-temp-dir';

const run = promisify(execFile);
const root = testTempDir('local-deps-');
const reposDir = join(root, 'repos');
const repo = join(reposDir, 'deps-svc');
let registry: LocalNpmRegistry;
let sluice: LocalSluice;
const previousRegistry = process.env.SLUICE_NPM_REGISTRY;

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
}

const SERVICE = {
  'package.json': JSON.stringify({
    name: 'deps-svc',
    version: '1.0.0',
    dependencies: { 'tiny-greeting': '^1.0.0' },
  }),
  'src/handler.ts': `import greet from 'tiny-greeting';
export const handler = async () => ({ statusCode: 200, body: greet('local runtime') });
`,
  'test/sum.test.js':
    "const test = require('node:test');\ntest('adds', () => { if (1 + 1 !== 2) throw new Error('no'); });\n",
};

beforeAll(async () => {
  registry = await LocalNpmRegistry.start({ dir: join(root, 'registry') });
  const pkg = join(root, 'tiny-greeting');
  await writeTree(pkg, {
    'package.json': JSON.stringify({ name: 'tiny-greeting', version: '1.0.0', main: 'index.js' }),
    'index.js': "module.exports = (name) => 'hello from tiny-greeting, ' + name;\n",
  });
  await registry.publish(pkg);
  // The lockfile, written by the real npm against the registry.
  const src = join(root, 'src');
  await writeTree(src, { ...SERVICE, '.npmrc': registry.npmrc() });
  await run(process.execPath, [projectNpmCli(), 'install', '--package-lock-only', '--ignore-scripts'], {
    cwd: src,
    env: { PATH: process.env.PATH ?? '', HOME: src, npm_config_cache: join(root, 'npm-cache') },
  });
  await writeFile(join(src, '.npmrc'), '');
  await newRepository(repo, { '.': src });
  const catalogFile = join(root, 'catalog.json');
  await writeFile(
    catalogFile,
    JSON.stringify({
      version: 1,
      services: [
        {
          name: 'deps-svc',
          mode: 'deployment',
          source: { repository: 'deps-svc' },
          runtime: { entry: 'src/handler.ts' },
          deploy: { strategy: 'AllAtOnce' },
        },
      ],
    }),
  );
  process.env.SLUICE_NPM_REGISTRY = registry.url;
  sluice = await startLocalSluice({ catalogFile, stateDir: join(root, 'state'), reposDir, timeScale: 60 });
}, 120_000);

afterAll(async () => {
  await sluice?.close();
  await registry?.close();
  if (previousRegistry === undefined) delete process.env.SLUICE_NPM_REGISTRY;
  else process.env.SLUICE_NPM_REGISTRY = previousRegistry;
});

describe('a service with npm dependencies on the local runtime', () => {
  it('installs at Build, ships the bundle with the dependency, and answers with it live', async () => {
    const sha = await git(repo, ['rev-parse', 'HEAD']);
    const report = await (await sluice.release({ service: 'deps-svc', commit: sha })).done;
    expect(report, report.reason).toMatchObject({ status: 'succeeded', endedAt: 'Deploy' });
    expect(report.record?.stages.Build?.detail).toMatch(/dependencies installed with npm ci/);
    // The artifact that went live runs the dependency's code.
    const zip = await readFile(
      join(root, 'state', 'artifacts', 'releases', 'deps-svc', report.releaseId, 'artifact.zip'),
    );
    const module = { exports: {} as { handler?: (e: unknown) => Promise<{ body: string }> } };
    new Function('module', 'exports', 'require', Buffer.from(unzipSync(zip)['index.js'] ?? []).toString())(
      module,
      module.exports,
      require,
    );
    // The metrics wrapper writes one EMF line per invocation: kept out of the test's output.
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const answer = await module.exports
      .handler?.({ rawPath: '/', requestContext: { http: { method: 'GET' } } })
      .finally(() => quiet.mockRestore());
    expect(answer?.body).toBe('hello from tiny-greeting, local runtime');
  }, 180_000);

  it('ends a release at Build when package.json has dependencies and no lockfile', async () => {
    await rm(join(repo, 'package-lock.json'));
    const sha = await commitFiles(repo, {}, 'Drop the lockfile');
    const report = await (await sluice.release({ service: 'deps-svc', commit: sha })).done;
    expect(report).toMatchObject({ status: 'failed', endedAt: 'Build' });
    expect(report.reason).toMatch(
      /^DependencyInstallError: package\.json of deps-svc lists dependencies but package-lock\.json is missing: run `npm install`/,
    );
    expect(report.record?.stages.Build?.status).toBe('failed');
  }, 180_000);
});
