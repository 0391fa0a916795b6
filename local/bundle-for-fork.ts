/**
 * Bundles a TypeScript entry beside this code into one CommonJS file that plain `node` can run: the local
 * runtime forks its hosts (a Lambda version, the test runner) without a TypeScript loader, as Lambda's
 * runtime has none.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { defined } from '../lambdas/core/defined';

/**
 * Writes `<dir>/<name>.cjs` from `<sourceDir>/<name>.ts` and returns its path. Beside a compiled copy (no .ts
 * shipped), returns `<sourceDir>/<name>.js` as it is.
 */
export async function bundleForFork(sourceDir: string, name: string, dir: string): Promise<string> {
  const source = join(sourceDir, `${name}.ts`);
  if (!existsSync(source)) return join(sourceDir, `${name}.js`);
  const output = await build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    write: false,
    logLevel: 'silent',
  });
  const file = join(dir, `${name}.cjs`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, defined(output.outputFiles[0], `the bundled ${name}`).contents);
  return file;
}
