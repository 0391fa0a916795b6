/**
 * Bundles every handler the way the pipeline stack's SluiceFunction does (HANDLER_BUNDLING: esbuild, minified,
 * CommonJS, node22; the runtime's AWS SDK v3 left out) and reports the sizes and what each bundle requires
 * from outside it.
 *   npm run bundle-size [-- --budget-kb 250]     exits 1 when a bundle exceeds the budget
 */

import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { defined } from '../lambdas/core/defined';
import { HANDLER_NAMES, type HandlerName } from '../lambdas/runtime/env';
import { HANDLER_BUNDLING, RUNTIME_PROVIDED_MODULES } from '../lib/sluice-function';
import { runMain } from './run-main';

export const DEFAULT_BUDGET_KB = 250;

/** Build and Test run esbuild itself; it comes from a layer, as in the stack. */
export const LAYER_MODULES: readonly string[] = ['esbuild'];

export interface BundleMeasurement {
  readonly handler: HandlerName;
  readonly bytes: number;
  /** Modules the bundle requires that are not in it (Node built-ins, the runtime's SDK, layer modules). */
  readonly externals: readonly string[];
}

export async function measureBundles(): Promise<BundleMeasurement[]> {
  const sizes: BundleMeasurement[] = [];
  for (const handler of HANDLER_NAMES) {
    const result = await build({
      entryPoints: [join(__dirname, '..', 'lambdas', handler, 'index.ts')],
      bundle: true,
      minify: HANDLER_BUNDLING.minify,
      sourcemap: HANDLER_BUNDLING.sourceMap,
      platform: 'node',
      target: HANDLER_BUNDLING.target,
      format: 'cjs',
      write: false,
      external: [...RUNTIME_PROVIDED_MODULES, ...LAYER_MODULES],
      mainFields: [...HANDLER_BUNDLING.mainFields],
      metafile: true,
      logLevel: 'silent',
    });
    const externals = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => i.external).map((i) => i.path),
    );
    sizes.push({
      handler,
      bytes: defined(result.outputFiles[0], `the bundle of ${handler}`).contents.byteLength,
      externals: [...new Set(externals)].sort(),
    });
  }
  return sizes;
}

/** Whether `module` is a Node built-in, a runtime-provided module or a layer module (else the bundle is broken). */
export function isProvided(module: string): boolean {
  const name = module.replace(/^node:/, '');
  if (builtinModules.includes(name) || builtinModules.includes(name.split('/')[0] ?? '')) return true;
  return [...RUNTIME_PROVIDED_MODULES, ...LAYER_MODULES].some((pattern) =>
    pattern.endsWith('/*') ? module.startsWith(pattern.slice(0, -1)) : module === pattern,
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'budget-kb': { type: 'string', default: String(DEFAULT_BUDGET_KB) } },
  });
  const budgetKb = Number(values['budget-kb']);
  const sizes = await measureBundles();
  let over = 0;
  for (const { handler, bytes, externals } of sizes) {
    const kb = bytes / 1024;
    const missing = externals.filter((m) => !isProvided(m));
    const flag =
      (kb > budgetKb ? '  ✘ over budget' : '') +
      (missing.length ? `  ✘ requires ${missing.join(', ')}, which nothing provides` : '');
    if (flag) over++;
    const sdk = externals.filter((m) => m.startsWith('@aws-sdk/')).length;
    console.log(
      `${handler.padEnd(18)} ${kb.toFixed(0).padStart(5)} KB  (+ ${sdk} runtime SDK packages)${flag}`,
    );
  }
  console.log(
    `budget ${budgetKb} KB per handler; largest ${(Math.max(...sizes.map((s) => s.bytes)) / 1024).toFixed(0)} KB`,
  );
  return over === 0 ? 0 : 1;
}

if (require.main === module) runMain(main);
