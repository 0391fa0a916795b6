/**
 * The CLI's command line. A few runs of the real `node bin/sluice.js` prove what only a process shows (argv through
 * the bin script, exit codes 0/1/2, stdout and stderr apart, the current folder); the rest run the same entry
 * in-process (run-sluice.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../../support/test-temp-dir';
import { sluice, sluiceInProcess } from './run-sluice';

const dir = testTempDir('cli-');

function write(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const service = {
  name: 'greeter',
  mode: 'deployment',
  source: { repository: 'greeter' },
  runtime: { entry: 'src/handler.ts' },
};

describe('sluice validate', () => {
  it('accepts a valid catalog and names its services', async () => {
    const file = write('valid.json', { version: 1, services: [service, { ...service, name: 'checkout' }] });
    const run = await sluiceInProcess(['validate', '--config', file]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`✔ ${file}: 2 services valid (greeter, checkout)\n`);
  });

  it("validates the repository's sluice.catalog.json by default", async () => {
    const run = await sluice(['validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('✔ sluice.catalog.json: 3 services valid (greeter, checkout, order-events)\n');
  });

  it('prints the catalog with defaults filled in with --print', async () => {
    const file = write('print.json', { version: 1, services: [service] });
    const run = await sluiceInProcess(['validate', '-c', file, '--print']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).services[0].deploy.strategy).toBe('Canary10Percent5Minutes');
  });

  it('lists every problem with its path and the value received, and exits 1', async () => {
    const file = write('invalid.json', {
      version: 1,
      services: [
        { ...service, mode: 'delivery' },
        { ...service, name: 'Checkout', deploy: { strategy: 'Fast' } },
      ],
    });
    const run = await sluiceInProcess(['validate', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`✖ ${file}: 3 problems`);
    expect(lines[1]).toMatch(
      /^ {2}services\[0\]\.approval: received undefined; delivery services need an approval block/,
    );
    expect(lines[2]).toMatch(/^ {2}services\[1\]\.name: received "Checkout"; use 2-40 lowercase letters/);
    expect(lines[3]).toMatch(/^ {2}services\[1\]\.deploy\.strategy: received "Fast"; use one of AllAtOnce, /);
  });

  it('reports a JSON syntax error with its line and column', async () => {
    const file = write('syntax.json', '{\n  "version": 1\n  "services": []\n}\n');
    const run = await sluiceInProcess(['validate', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `(file): received "\\"services\\": []"; invalid JSON at line 3, column 3 (${file}:3:3)`,
    );
  });

  it('reports a missing file', async () => {
    const file = join(dir, 'missing.json');
    const run = await sluiceInProcess(['validate', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`(file): received ${JSON.stringify(file)}; no such file`);
  });

  it('looks for sluice.catalog.json in the current folder', async () => {
    const run = await sluice(['validate'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('✖ sluice.catalog.json: 1 problem');
  });

  it('refuses an unknown option with exit 2, naming it and suggesting the right one', async () => {
    const run = await sluiceInProcess(['validate', '--conifg', 'x.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^sluice validate: unknown option --conifg; did you mean --config\?\n\nUsage: sluice validate/,
    );
  });

  it('refuses --config without a value and stray arguments', async () => {
    expect((await sluiceInProcess(['validate', '--config'])).stderr).toMatch(
      /^sluice validate: option --config needs a value/,
    );
    const stray = await sluiceInProcess(['validate', 'extra']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^sluice validate: unexpected argument extra/);
  });

  it('prints its help with --help', async () => {
    const run = await sluiceInProcess(['validate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: sluice validate \[--config FILE\]/);
    expect(run.stdout).toContain('--config FILE');
  });
});

describe('sluice', () => {
  it('prints the usage and its commands with --help', async () => {
    const run = await sluiceInProcess(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: sluice <command> \[options\]/);
    expect(run.stdout).toMatch(/^ {2}validate {2,}Check the service catalog/m);
    expect(run.stdout).toMatch(/^ {2}approvals {2,}List approval requests/m);
    expect(run.stdout).toMatch(/^ {2}approve {2,}Approve an approval request/m);
  });

  it('answers `help <command>` like `<command> --help`', async () => {
    const run = await sluiceInProcess(['help', 'validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: sluice validate/);
  });

  it('refuses an unknown command with exit 2, naming it, with the usage', async () => {
    const run = await sluice(['deplyo']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^sluice: unknown command deplyo\n\nUsage: sluice <command>/);
  });

  it('suggests the command a typo meant', async () => {
    expect((await sluiceInProcess(['valdate'])).stderr).toMatch(
      /^sluice: unknown command valdate; did you mean validate\?/,
    );
  });

  it('refuses an unknown top-level option and a missing command with exit 2', async () => {
    const option = await sluiceInProcess(['--verbose']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^sluice: unknown option --verbose\n/);
    const none = await sluiceInProcess([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^sluice: missing command\n\nUsage:/);
  });

  it('prints its version', async () => {
    const run = await sluiceInProcess(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
