/** npm steps in the runner: the real npm CLI (the project's `npm` package), offline, with no shell of Sluice's. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxRequest } from '../../../lambdas/core/ports';
import { packDirectory } from '../../../lambdas/runtime/checkout-archive';
import { npmrcSecrets, redact } from '../../../lambdas/test-runner/npm-step';
import { runSandboxed } from '../../../lambdas/test-runner/sandbox-run';
import { projectNpmCli } from '../../../local/sandbox/process-test-sandbox';

const npmCli = projectNpmCli();
const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** The service's dependency packed, and the service's lockfile: the same for every service of this file. */
let packedService: Promise<{ tarball: Buffer; lockfile: string }> | undefined;

/**
 * Packs tiny-lib and writes the lockfile of a service depending on it, once for this file (whichever test asks
 * first, alone or not): npm locks the root's name, version and dependencies, not its scripts (only install
 * scripts, which serviceWithTarballDependency refuses, would add `hasInstallScript`), so every service of this
 * file has these two files byte for byte. Written by the same npm, offline.
 */
function packedTinyLib(): Promise<{ tarball: Buffer; lockfile: string }> {
  packedService ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-npm-lib-'));
    try {
      const env = { PATH: process.env.PATH ?? '', HOME: dir, npm_config_cache: join(dir, '.cache') };
      const lib = join(dir, 'lib-src');
      mkdirSync(lib);
      writeFileSync(join(lib, 'package.json'), JSON.stringify({ name: 'tiny-lib', version: '1.0.0' }));
      writeFileSync(join(lib, 'index.js'), 'module.exports = 42;\n');
      execFileSync(process.execPath, [npmCli, 'pack', '--silent', '--pack-destination', dir], {
        cwd: lib,
        env,
      });
      writeFileSync(join(dir, 'package.json'), JSON.stringify(servicePackageJson({})));
      execFileSync(
        process.execPath,
        [npmCli, 'install', '--package-lock-only', '--offline', '--ignore-scripts'],
        { cwd: dir, env },
      );
      return {
        tarball: readFileSync(join(dir, 'tiny-lib-1.0.0.tgz')),
        lockfile: readFileSync(join(dir, 'package-lock.json'), 'utf8'),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  packedService.catch(() => {
    packedService = undefined;
  });
  return packedService;
}

function servicePackageJson(scripts: Record<string, string>) {
  return { name: 'svc', version: '1.0.0', scripts, dependencies: { 'tiny-lib': 'file:tiny-lib-1.0.0.tgz' } };
}

/**
 * A service whose one dependency is a packed tarball in the checkout (`file:`), so `npm ci` installs it with no
 * registry at all; its lockfile is written by the same npm, offline (packedTinyLib). `scripts` are the service's
 * own scripts, not install scripts.
 */
async function serviceWithTarballDependency(scripts: Record<string, string> = {}): Promise<string> {
  const install = Object.keys(scripts).filter((name) => /^(pre|post)?install$/.test(name));
  if (install.length > 0) throw new Error(`install scripts change the lockfile: ${install.join(', ')}`);
  const { tarball, lockfile } = await packedTinyLib();
  const dir = folder('sluice-npm-service-');
  writeFileSync(join(dir, 'tiny-lib-1.0.0.tgz'), tarball);
  writeFileSync(join(dir, 'package-lock.json'), lockfile);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(servicePackageJson(scripts)));
  return Buffer.from(await packDirectory(dir)).toString('base64');
}

describe('npm steps', () => {
  it('installs from the lockfile with npm ci and answers with the collected node_modules', async () => {
    const scratch = folder('sluice-runner-scratch-');
    const checkout = await serviceWithTarballDependency();
    const result = await runSandboxed(
      {
        checkout,
        steps: [{ npm: ['ci', '--ignore-scripts', '--offline'] }],
        timeoutMs: 60_000,
        collect: 'node_modules',
      },
      { scratch, npmCli },
    );
    expect(result, result.output).toMatchObject({ exitCode: 0, timedOut: false });
    const files = unzipSync(Buffer.from(result.collected?.zip ?? '', 'base64'));
    expect(Object.keys(files).sort()).toEqual([
      '.package-lock.json',
      'tiny-lib/index.js',
      'tiny-lib/package.json',
    ]);
    expect(result.collected?.bytes).toBeGreaterThan(0);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('collects nothing when a step fails', async () => {
    const scratch = folder('sluice-runner-scratch-');
    const checkout = await serviceWithTarballDependency({ check: 'node -e "process.exit(4)"' });
    const result = await runSandboxed(
      {
        checkout,
        steps: [{ npm: ['ci', '--ignore-scripts', '--offline'] }, { npm: ['run', 'check'] }],
        timeoutMs: 60_000,
        collect: 'node_modules',
      },
      { scratch, npmCli },
    );
    expect(result.exitCode).toBe(4);
    expect(result.collected).toBeUndefined();
  });

  it('gives the install the request’s npmrc, and blanks it before the service’s own code runs', async () => {
    const scratch = folder('sluice-runner-scratch-');
    // A service script that tries to take the registry token: from the config file npm was given and from the
    // scratch folder, printed base64 so that blanking the token out of the output would not hide it.
    const steal = [
      "const fs = require('fs');",
      "const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };",
      "const all = read(process.env.npm_config_userconfig) + read('../npmrc');",
      "process.stdout.write('npmrc bytes=' + all.length + ' b64=' + Buffer.from(all).toString('base64'));",
    ].join(' ');
    const checkout = await serviceWithTarballDependency({ steal: `node -e "${steal}"` });
    const npmrc = 'registry=http://127.0.0.1:9/\n//127.0.0.1:9/:_authToken=s3cr3t-t0ken-value\n';
    const run = (steps: SandboxRequest['steps']) =>
      runSandboxed({ checkout, steps, timeoutMs: 60_000, npmrc }, { scratch, npmCli });
    // The install step has the npmrc (Build's registry tests show it used); the service's script after it finds
    // the file empty.
    const result = await run([{ npm: ['ci', '--ignore-scripts', '--offline'] }, { npm: ['run', 'steal'] }]);
    expect(result, result.output).toMatchObject({ exitCode: 0 });
    expect(result.output).toContain('npmrc bytes=0 b64=');
    expect(result.output).not.toContain('s3cr3t-t0ken-value');
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('refuses npm subcommands and options outside its list, and npm steps without an npm CLI', async () => {
    const scratch = folder('sluice-runner-scratch-');
    const base: SandboxRequest = {
      checkout: await serviceWithTarballDependency(),
      steps: [],
      timeoutMs: 5_000,
    };
    await expect(
      runSandboxed({ ...base, steps: [{ npm: ['exec', 'something'] }] }, { scratch, npmCli }),
    ).rejects.toMatchObject({
      name: 'InvalidSandboxRequestError',
      message: expect.stringContaining('npm "exec" is not run in the sandbox'),
    });
    await expect(
      runSandboxed({ ...base, steps: [{ npm: ['ci', '--prefix=/'] }] }, { scratch, npmCli }),
    ).rejects.toThrow('npm option --prefix=/ is set by the sandbox itself');
    await expect(runSandboxed({ ...base, steps: [{ npm: ['ci'] }] }, { scratch })).rejects.toThrow(
      'npm steps need the npm CLI',
    );
    await expect(
      runSandboxed({ ...base, steps: [['-e', '']], collect: '../etc' }, { scratch, npmCli }),
    ).rejects.toThrow('collect must be a folder inside the checkout');
  });

  it('finds the secret values of an npmrc', () => {
    const npmrc = [
      'registry=https://npm.example.test/',
      '//npm.example.test/:_authToken="abcd1234"',
      '//other.test/:_password=cGFzc3dvcmQ=',
      'always-auth=true',
    ].join('\n');
    expect(npmrcSecrets(npmrc)).toEqual(['abcd1234', 'cGFzc3dvcmQ=']);
    expect(redact('token abcd1234 and cGFzc3dvcmQ=', npmrcSecrets(npmrc))).toBe('token *** and ***');
  });
});
