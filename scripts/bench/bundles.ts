/**
 * The handler bundles `cdk synth` produced (what is deployed), their size, and the time a fresh Node process
 * takes to load each one, relative to an empty handler: the part of a cold start that depends on the bundle.
 */
import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CfnTemplate } from '../../local/definition';
import { median } from './report';

export interface HandlerBundle {
  readonly handler: string;
  readonly memoryMb: number;
  /** The bundled index.js in the cloud assembly. */
  readonly file: string;
  readonly bytes: number;
}

/** Each Sluice handler of the pipeline template: its memory size and bundle (`aws:asset:path` metadata). */
export async function bundlesOf(template: CfnTemplate, outdir: string): Promise<HandlerBundle[]> {
  const bundles: HandlerBundle[] = [];
  for (const resource of Object.values(template.Resources)) {
    const handler = resource.Metadata?.['Sluice::Handler'];
    const asset = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::Lambda::Function' || typeof handler !== 'string') continue;
    if (typeof asset !== 'string') throw new Error(`${handler} has no bundled asset: was bundling skipped?`);
    const file = join(outdir, asset, 'index.js');
    bundles.push({
      handler,
      memoryMb: Number(resource.Properties?.MemorySize ?? 128),
      file,
      bytes: (await stat(file)).size,
    });
  }
  return bundles.sort((a, b) => a.handler.localeCompare(b.handler));
}

const LOADER = `const { performance } = require('node:perf_hooks');
const started = performance.now();
require(process.argv[2]);
process.stdout.write(String(performance.now() - started));
`;

function timeLoad(loader: string, file: string): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [loader, file], {
      // What a handler sees at load time in Lambda, minus credentials: loading must not need them.
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done(Number(out)) : fail(new Error(`loading ${file} failed (${code}): ${err}`)),
    );
  });
}

/**
 * Median load time of each bundle over `runs` fresh processes, minus the median of an empty handler's. Runs
 * alternate between the handlers so a busy moment of the machine does not land on one of them.
 */
export async function measureInit(
  bundles: readonly HandlerBundle[],
  workDir: string,
  runs = 7,
): Promise<Record<string, number>> {
  const loader = join(workDir, 'load-bundle.js');
  const empty = join(workDir, 'empty-handler.js');
  await writeFile(loader, LOADER);
  await writeFile(empty, 'exports.handler = async () => ({});\n');
  const times = new Map<string, number[]>();
  const files = [{ handler: '', file: empty }, ...bundles];
  for (let i = 0; i < runs; i++) {
    for (const { handler, file } of files) {
      times.set(handler, [...(times.get(handler) ?? []), await timeLoad(loader, file)]);
    }
  }
  const baseline = median(times.get('') ?? []);
  return Object.fromEntries(
    bundles.map((b) => [b.handler, Math.max(0, median(times.get(b.handler) ?? []) - baseline)]),
  );
}
