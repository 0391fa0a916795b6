/**
 * The example services and overlays do what the demo needs: each test suite passes or fails as intended once
 * bundled the way the pipeline's Test stage does it (esbuild, cjs, `node --test`), the broken build does not
 * build, and the bad checkout passes its tests and smoke request but fails under sustained traffic.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogFile } from '../../../lambdas/core/catalog/load';
import {
  applyOverlay,
  EXAMPLES_DIR,
  listOverlays,
  OVERLAYS_DIR,
  readOverlay,
} from '../../../local/cli/overlays';
import { testTempDir } from '../../support/test-temp-dir';

interface Response {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}
type Handler = (event: object) => Promise<Response>;

let root: string;
beforeAll(async () => {
  root = testTempDir('examples-');
});

/** A working copy of examples/<service> with the overlays applied in order. */
async function workingCopy(service: string, ...overlays: string[]): Promise<string> {
  const dir = join(root, [service, ...overlays].join('+'));
  await cp(join(EXAMPLES_DIR, service), dir, { recursive: true });
  for (const overlay of overlays) await applyOverlay(join(OVERLAYS_DIR, overlay), dir);
  return dir;
}

/** Bundles and runs the service's tests like the Test stage: exit code and TAP output. */
async function runTests(dir: string): Promise<{ code: number | null; output: string }> {
  const files = (await readdir(join(dir, 'test')))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, 'test', f));
  const outdir = join(dir, '.sluice-tests');
  await build({
    entryPoints: files,
    absWorkingDir: dir,
    outbase: dir,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    logLevel: 'silent',
  });
  const bundled = (await readdir(join(outdir, 'test'))).map((f) => join(outdir, 'test', f));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--test-reporter=tap', ...bundled],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number), output: stdout + stderr }),
    );
  });
}

/** Bundles the handler like the Build stage and loads a fresh instance of it (its own module state). */
async function loadHandler(dir: string, instance = 'index'): Promise<Handler> {
  const outfile = join(dir, '.sluice-build', `${instance}.js`);
  await build({
    entryPoints: [join(dir, 'src', 'handler.ts')],
    absWorkingDir: dir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'silent',
  });
  return (createRequire(outfile)(outfile) as { handler: Handler }).handler;
}

const get = (path = '/') => ({ rawPath: path, headers: {}, requestContext: { http: { method: 'GET' } } });

describe('overlay files', () => {
  it('every overlay has a commit message and names a service of the catalog', async () => {
    const catalog = loadCatalogFile(join(EXAMPLES_DIR, '..', 'sluice.catalog.json'));
    if (!catalog.ok) throw new Error('sluice.catalog.json is invalid');
    const services = catalog.catalog.services.map((s) => s.name);
    const overlays = await listOverlays();
    expect(overlays.map((o) => o.name)).toEqual([
      'broken-build',
      'checkout-bad',
      'checkout-no-orders-metric',
      'checkout-slow',
      'checkout-v2',
      'greeter-failing-tests',
      'greeter-v2',
      'missing-entry',
      'order-events-v2',
    ]);
    for (const overlay of overlays) {
      expect(overlay.commitMessage.length, overlay.name).toBeGreaterThan(10);
      expect(services, overlay.name).toContain(overlay.service);
      expect(overlay.files, overlay.name).not.toContain('COMMIT_MESSAGE');
    }
  });

  it('applies files and DELETE entries, and refuses paths outside the working copy', async () => {
    const dir = await mkdtemp(join(root, 'apply-'));
    const overlay = join(dir, 'overlay');
    const target = join(dir, 'target');
    await mkdir(join(overlay, 'src'), { recursive: true });
    await mkdir(join(target, 'old'), { recursive: true });
    await writeFile(join(overlay, 'src', 'new.ts'), 'export {};\n');
    await writeFile(join(overlay, 'COMMIT_MESSAGE'), 'Add new.ts\n');
    await writeFile(join(overlay, 'DELETE'), '# cleanup\nold\n\n');
    await writeFile(join(target, 'old', 'a.ts'), '');
    const result = await applyOverlay(overlay, target);
    expect(result).toMatchObject({ written: ['src/new.ts'], deleted: ['old'] });
    expect(result.overlay.commitMessage).toBe('Add new.ts');
    expect(existsSync(join(target, 'src', 'new.ts'))).toBe(true);
    expect(existsSync(join(target, 'old'))).toBe(false);
    expect(existsSync(join(target, 'COMMIT_MESSAGE'))).toBe(false);

    await writeFile(join(overlay, 'DELETE'), '../../etc\n');
    await expect(readOverlay(overlay)).rejects.toThrow(/leaves the working copy/);
    await rm(join(overlay, 'COMMIT_MESSAGE'));
    await expect(readOverlay(overlay)).rejects.toThrow(/has no COMMIT_MESSAGE/);
  });
});

describe('greeter', () => {
  it('passes its tests and greets on GET /', async () => {
    const dir = await workingCopy('greeter');
    const run = await runTests(dir);
    expect(run.code, run.output).toBe(0);
    const response = await (await loadHandler(dir))(get());
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, world!' });
  });

  it('greeter-v2 passes its tests and greets in French', async () => {
    const dir = await workingCopy('greeter', 'greeter-v2');
    const run = await runTests(dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^# fail 0$/m);
    const response = await (await loadHandler(dir))({ ...get(), queryStringParameters: { lang: 'fr' } });
    expect(JSON.parse(response.body).message).toBe('Bonjour, world!');
  });

  it('greeter-failing-tests fails its tests', async () => {
    const run = await runTests(await workingCopy('greeter', 'greeter-failing-tests'));
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/^\s*not ok \d+ - greets the world on GET \//m);
  });

  it('broken-build does not build, and esbuild says where', async () => {
    const dir = await workingCopy('greeter', 'broken-build');
    const failure = await loadHandler(dir).then(
      () => undefined,
      (error: { errors?: { location?: { file: string; line: number } }[] }) => error,
    );
    expect(failure?.errors?.[0]?.location?.file).toMatch(/src[/\\]handler\.ts$/);
  });

  it('missing-entry removes the entry point named in the catalog', async () => {
    const dir = await workingCopy('greeter', 'missing-entry');
    expect(existsSync(join(dir, 'src', 'handler.ts'))).toBe(false);
    expect(existsSync(join(dir, 'test', 'handler.test.ts'))).toBe(true);
  });

  it('an overlay brings whole files, so a good change repairs a broken one', async () => {
    const run = await runTests(await workingCopy('greeter', 'broken-build', 'missing-entry', 'greeter-v2'));
    expect(run.code, run.output).toBe(0);
  });
});

describe('checkout', () => {
  it('passes its tests, answers GET / and prices POST /checkout', async () => {
    const dir = await workingCopy('checkout');
    const run = await runTests(dir);
    expect(run.code, run.output).toBe(0);
    const handler = await loadHandler(dir);
    expect((await handler(get())).statusCode).toBe(200);
    const order = await handler({
      rawPath: '/checkout',
      body: JSON.stringify({ items: [{ sku: 'tea', quantity: 3, unitPrice: 250 }] }),
      requestContext: { http: { method: 'POST' } },
    });
    expect(order.statusCode).toBe(200);
    expect(JSON.parse(order.body)).toMatchObject({ currency: 'EUR', itemCount: 3, total: 750 });
  });

  it('checkout-v2 passes its tests', async () => {
    const run = await runTests(await workingCopy('checkout', 'checkout-v2'));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^\s*ok \d+ - applies a discount code/m);
  });

  it.each([[['checkout-bad']], [['checkout-v2', 'checkout-bad']]])(
    'checkout-bad (over %j) passes its tests and the smoke request, then fails 30 to 50 percent of sustained traffic',
    async (overlays) => {
      const dir = await workingCopy('checkout', ...overlays);
      const run = await runTests(dir);
      expect(run.code, run.output).toBe(0);

      // The staging smoke request reaches a fresh instance.
      const staged = await loadHandler(dir, 'staged');
      expect((await staged(get())).statusCode).toBe(200);

      // A warm canary instance serving a stream of requests.
      const canary = await loadHandler(dir, 'canary');
      let failed = 0;
      const total = 200;
      for (let i = 0; i < total; i++) {
        const ok = await canary(get()).then(
          (r) => r.statusCode < 500,
          () => false,
        );
        if (!ok) failed++;
      }
      expect(failed / total).toBeGreaterThanOrEqual(0.3);
      expect(failed / total).toBeLessThanOrEqual(0.5);
    },
  );
});
