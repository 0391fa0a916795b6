/**
 * Bundles every handler the way the pipeline stack's NodejsFunction does (esbuild, minified, CommonJS,
 * node22, SDK v3 clients bundled and tree-shaken) and reports the sizes. Exits 1 when one exceeds the budget.
 *   npm run bundle-size [-- --budget-kb 400]
 */

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { HANDLER_NAMES } from '../lambdas/shared/env';

const { values } = parseArgs({ options: { 'budget-kb': { type: 'string', default: '650' } } });
const budgetKb = Number(values['budget-kb']);

async function main(): Promise<number> {
  const rows: { name: string; kb: number }[] = [];
  for (const name of HANDLER_NAMES) {
    const result = await build({
      entryPoints: [join(__dirname, '..', 'lambdas', name, 'index.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      write: false,
      // Build and Test run esbuild itself; it comes from a layer, as in the stack.
      external: ['esbuild'],
      // ESM builds of the SDK tree-shake far better (the stack sets the same).
      mainFields: ['module', 'main'],
      logLevel: 'silent',
    });
    rows.push({ name, kb: result.outputFiles[0].contents.byteLength / 1024 });
  }
  let over = 0;
  for (const row of rows) {
    const flag = row.kb > budgetKb ? '  ✘ over budget' : '';
    if (flag) over++;
    console.log(`${row.name.padEnd(18)} ${row.kb.toFixed(0).padStart(5)} KB${flag}`);
  }
  console.log(
    `budget ${budgetKb} KB per handler; largest ${Math.max(...rows.map((r) => r.kb)).toFixed(0)} KB`,
  );
  return over === 0 ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
});
