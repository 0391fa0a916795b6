/**
 * Bundles every handler the way the pipeline stack's NodejsFunction does (esbuild, minified, CommonJS,
 * node22, SDK v3 clients bundled and tree-shaken from their ESM builds) and reports the sizes.
 *   npm run bundle-size [-- --budget-kb 650]     exits 1 when a bundle exceeds the budget
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { HANDLER_NAMES, type HandlerName } from '../lambdas/runtime/env';

export const DEFAULT_BUDGET_KB = 650;

export async function measureBundles(): Promise<{ handler: HandlerName; bytes: number }[]> {
  const sizes: { handler: HandlerName; bytes: number }[] = [];
  for (const handler of HANDLER_NAMES) {
    const result = await build({
      entryPoints: [join(__dirname, '..', 'lambdas', handler, 'index.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      write: false,
      // Build and Test run esbuild itself; it comes from a layer, as in the stack.
      external: ['esbuild'],
      // The stack sets the same: the SDK's ESM builds tree-shake far better.
      mainFields: ['module', 'main'],
      logLevel: 'silent',
    });
    sizes.push({ handler, bytes: result.outputFiles[0].contents.byteLength });
  }
  return sizes;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'budget-kb': { type: 'string', default: String(DEFAULT_BUDGET_KB) } },
  });
  const budgetKb = Number(values['budget-kb']);
  const sizes = await measureBundles();
  let over = 0;
  for (const { handler, bytes } of sizes) {
    const kb = bytes / 1024;
    const flag = kb > budgetKb ? '  ✘ over budget' : '';
    if (flag) over++;
    console.log(`${handler.padEnd(18)} ${kb.toFixed(0).padStart(5)} KB${flag}`);
  }
  console.log(
    `budget ${budgetKb} KB per handler; largest ${(Math.max(...sizes.map((s) => s.bytes)) / 1024).toFixed(0)} KB`,
  );
  return over === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
