/** A service handler wrapped by the service wrapper and bundled exactly as Build bundles it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { serviceWrapperSource } from '../../lambdas/core/service-wrapper';

/**
 * Writes `source` to `<dir>/<file>` and bundles the wrapper around it (CommonJS, node22): the text of the
 * artifact's index.js.
 */
export async function wrappedBundle(options: {
  readonly dir: string;
  readonly file: string;
  readonly source: string;
  readonly handler: string;
  readonly service: string;
}): Promise<string> {
  const { dir, file, source, handler, service } = options;
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), source);
  const result = await build({
    stdin: {
      contents: serviceWrapperSource({ entry: `./${file}`, handler, service }),
      resolveDir: dir,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** Loads a CommonJS bundle's exports in this process, as Lambda's runtime would require it. */
export function loadBundle<T>(text: string): Record<string, T> {
  const module = { exports: {} as Record<string, T> };
  new Function('module', 'exports', 'require', text)(module, module.exports, require);
  return module.exports;
}
