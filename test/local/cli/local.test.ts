import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR } from '../../../local/cli/overlays';
import { commitFiles, newRepository } from '../../support/git';
import { testTempDir } from '../../support/test-temp-dir';
import { sluiceInProcess } from './run-sluice';

const ROOT = join(__dirname, '..', '..', '..');

/** Collects a child's stdout and resolves when a line matches. */
function waitFor(
  child: ChildProcess,
  output: { text: string },
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output.text);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(match);
      }
    };
    const timer = setTimeout(() => {
      child.stdout?.off('data', check);
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${output.text}`));
    }, timeoutMs);
    child.stdout?.on('data', check);
    check();
  });
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('sluice local', () => {
  it('releases a commit pushed to a watched repository, through the router, and stops on SIGINT', async () => {
    const root = testTempDir('local-');
    const repo = join(root, 'repos', 'checkout');
    await newRepository(repo, { '.': join(EXAMPLES_DIR, 'checkout') });
    const catalog = join(root, 'sluice.catalog.json');
    writeFileSync(
      catalog,
      JSON.stringify({
        version: 1,
        services: [
          {
            name: 'checkout',
            mode: 'deployment',
            source: { repository: 'checkout' },
            runtime: { entry: 'src/handler.ts' },
            deploy: { strategy: 'AllAtOnce' },
          },
        ],
      }),
    );
    child = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'local',
        '--config',
        catalog,
        '--state-dir',
        join(root, 'state'),
        '--repos-dir',
        join(root, 'repos'),
        '--interval-ms',
        '200',
      ],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = { text: '' };
    child.stdout?.on('data', (d: Buffer) => {
      output.text += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output.text += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    await waitFor(child, output, /Sluice local is running/, 90_000);
    expect(output.text).toContain(`watching ${repo} (main)`);
    // Nothing was pushed yet: the heads seen at start are not releases.
    expect(output.text).not.toContain('▶');

    const sha = await commitFiles(
      repo,
      { 'src/version.ts': "export const VERSION = '2';\n" },
      'Bump version',
    );
    const id = `checkout-${sha.slice(0, 12)}`;
    await waitFor(
      child,
      output,
      new RegExp(`▶ ${id} started \\(local-git, Eve <eve@example.com>\\)`),
      30_000,
    );
    await waitFor(child, output, new RegExp(`■ ${id} succeeded at Deploy`), 120_000);
    expect(output.text.match(/▶ /g)).toHaveLength(1);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output.text).toContain('stopping…');
  }, 240_000);

  it('refuses a bad --interval-ms with exit code 2', async () => {
    const run = await sluiceInProcess(['local', '--interval-ms', '5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--interval-ms must be a whole number from 50 to 60000, received "5"');
  });
});
